"""Confidence intervals for every parameter of a fit, as lme4's ``confint()``.

Takes a fitted :class:`~mlmcourse.models.result.FitResult` (linear or generalized) and gives
one table, a row per parameter named as lme4's ``confint(oldNames = FALSE)`` names it (with
``Intercept`` for ``(Intercept)``): the SDs and correlations of each random-effects block in
the formula's order (``sd_Intercept|Subject``, ``cor_Days.Intercept|Subject``,
``sd_Days|Subject``), ``sigma`` for a linear model, then the fixed effects.

- ``"profile"`` is lme4's ``profile()``: for each parameter, the signed square root of the
  increase of the ML deviance (a REML fit is refitted with ML first, as lme4 does) when that
  parameter is held at a value and all others are optimised again,
  ``zeta(c) = sign(c - c_hat) sqrt(dev(c) - dev_min)``; the limits solve ``zeta = -+ z``,
  ``z`` the normal quantile.  The variance parameters are profiled on lme4's SD and
  correlation scale; a limit that lies beyond the edge of the parameter's range is the edge
  (0 for an SD, -1 or 1 for a correlation), as lme4 reports it.  lme4 interpolates a spline
  through profile points; here each limit is found by root finding on zeta itself.
- ``"wald"``: estimate -+ z SE for the fixed effects and no interval for the variance
  parameters (NaN), as lme4's ``method = "Wald"``.
- ``"bootstrap"``: percentile intervals from a parametric bootstrap
  (:func:`~mlmcourse.models.bootstrap.bootstrap`), as lme4's ``method = "boot"``.
"""
import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from mlmcourse.models.formula import FormulaError

METHODS = ("profile", "wald", "bootstrap")
_COR_EDGE = 1 - 1e-8  # a correlation is kept inside (-1, 1), where its Cholesky factor exists


def check_level(level):
    """A confidence level strictly between 0 and 1, or a FormulaError saying so."""
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, (int, float, np.number)) \
            or not 0 < level < 1:
        raise FormulaError(f"level must be a number strictly between 0 and 1 (such as 0.95), "
                           f"not {level!r}.")
    return float(level)


def check_count(n, name="n"):
    """A positive whole number of replicates, or a FormulaError saying so."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
        raise FormulaError(f"{name} must be a positive whole number of replicates, not {n!r}.")
    return int(n)


def confint(model, method="profile", level=0.95, n=1000, seed=None):
    """Confidence intervals for a fit's SDs, correlations, sigma and fixed effects.

    See :meth:`~mlmcourse.models.result.FitResult.confint` (this is its body).
    """
    if method not in METHODS:
        raise FormulaError(f"confint() knows the methods {', '.join(map(repr, METHODS))}, "
                           f"not {method!r}.")
    level = check_level(level)
    if method == "wald":
        return _wald(model, level)
    if method == "bootstrap":
        from mlmcourse.models.bootstrap import bootstrap
        return bootstrap(model, parameters, n=check_count(n), seed=seed).confint(level)
    return Profile(model).confint(level)


def _table(names, lower, upper):
    return pd.DataFrame({"lower": lower, "upper": upper}, index=pd.Index(names, name="parameter"))


def _wald(model, level):
    space = SdCor(model)
    q = stats.norm.ppf((1 + level) / 2)
    fixef = model.fixef
    nv = len(space.names)
    lower = np.r_[np.full(nv, np.nan), fixef["estimate"] - q * fixef["se"]]
    upper = np.r_[np.full(nv, np.nan), fixef["estimate"] + q * fixef["se"]]
    return _table(space.names + list(fixef.index), lower, upper)


def parameters(model):
    """The estimates in lme4's ``confint`` order and names: SDs, correlations, sigma, beta.

    Examples
    --------
    >>> import mlmcourse
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
    ...                       mlmcourse.load_dataset("sleepstudy"))
    >>> parameters(model).round(3)
    sd_Intercept|Subject         24.740
    cor_Days.Intercept|Subject    0.066
    sd_Days|Subject               5.922
    sigma                        25.592
    Intercept                   251.405
    Days                         10.467
    dtype: float64
    """
    space = SdCor(model)
    values = np.r_[space.from_theta(model._theta, model.sigma), model._beta]
    return pd.Series(values, index=space.names + list(model._X.columns))


class SdCor:
    """lme4's SD and correlation scale of a fit's variance parameters, and its names.

    ``from_theta`` maps (theta, sigma) to (SDs and correlations of each block, sigma) and
    ``to_theta`` maps back; for a GLMM there is no sigma (it is 1).
    """

    def __init__(self, model):
        design = model._design
        self.has_sigma = getattr(model, "family", "gaussian") == "gaussian"
        offsets = np.cumsum([0] + [f.n_theta for f in design.factors])
        self.n_theta = design.n_theta
        self.blocks, self.names, self.kinds = [], [], []
        for block in model._blocks:
            factor_index = next(i for i, f in enumerate(design.factors) if
                                any(b is block for b in f.blocks))
            factor = design.factors[factor_index]
            start = 0
            for b in factor.blocks:
                if b is block:
                    break
                start += len(b.terms)
            where = {(int(r), int(c)): offsets[factor_index] + i
                     for i, (r, c) in enumerate(zip(*factor.tril))}
            k = len(block.terms)
            index = np.full((k, k), -1)
            for i in range(k):
                for j in range(i + 1):
                    index[i, j] = where[(start + i, start + j)]
            self.blocks.append(index)
            terms = block.terms
            for j in range(k):  # lme4's order: column by column of the lower triangle
                self.names.append(f"sd_{terms[j]}|{block.factor}")
                self.kinds.append("sd")
                for i in range(j + 1, k):
                    self.names.append(f"cor_{terms[i]}.{terms[j]}|{block.factor}")
                    self.kinds.append("cor")
        if self.has_sigma:
            self.names.append("sigma")
            self.kinds.append("sigma")

    def lower_upper(self):
        """The range of each parameter: SDs and sigma from 0, correlations within -1, 1."""
        lower = np.array([-1.0 if kind == "cor" else 0.0 for kind in self.kinds])
        upper = np.array([1.0 if kind == "cor" else np.inf for kind in self.kinds])
        return lower, upper

    def from_theta(self, theta, sigma=1.0):
        out = []
        for index in self.blocks:
            k = len(index)
            L = np.zeros((k, k))
            tril = np.tril_indices(k)
            L[tril] = np.asarray(theta)[index[tril]]
            cov = sigma ** 2 * L @ L.T
            sd = np.sqrt(np.diag(cov))
            for j in range(k):
                out.append(sd[j])
                for i in range(j + 1, k):
                    out.append(cov[i, j] / (sd[i] * sd[j]) if sd[i] * sd[j] > 0 else 0.0)
        if self.has_sigma:
            out.append(sigma)
        return np.array(out)

    def to_theta(self, values):
        """theta (and sigma) from SDs and correlations: L = diag(sd / sigma) chol(R)."""
        values = np.asarray(values, float)
        sigma = values[-1] if self.has_sigma else 1.0
        theta = np.zeros(self.n_theta)
        position = 0
        for index in self.blocks:
            k = len(index)
            sd, R = np.zeros(k), np.eye(k)
            for j in range(k):
                sd[j] = values[position]
                position += 1
                for i in range(j + 1, k):
                    R[i, j] = R[j, i] = values[position]
                    position += 1
            L = (sd / sigma)[:, None] * np.linalg.cholesky(R)
            tril = np.tril_indices(k)
            theta[index[tril]] = L[tril]
        return theta, sigma


class Profile:
    """lme4's profile of the ML deviance, one parameter at a time, and its intervals.

    Examples
    --------
    >>> import mlmcourse
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
    ...                       mlmcourse.load_dataset("sleepstudy"))
    >>> model.confint().round(2)
                                 lower   upper
    parameter
    sd_Intercept|Subject         14.38   37.72
    cor_Days.Intercept|Subject   -0.48    0.69
    sd_Days|Subject               3.80    8.75
    sigma                        22.90   28.86
    Intercept                   237.68  265.13
    Days                          7.36   13.58
    """

    def __init__(self, model):
        from mlmcourse.models.fit import refit
        self.glmm = getattr(model, "family", "gaussian") != "gaussian"
        self.model = refit(model, reml=False)
        self.space = SdCor(self.model)
        self.nv = len(self.space.names)
        self.names = self.space.names + list(self.model._X.columns)
        self.core = self.model._deviance
        self.log_weights = 0.0 if self.glmm else self.core.log_weights
        self.estimate = parameters(self.model).to_numpy()
        lower, upper = self.space.lower_upper()
        p = len(self.model._beta)
        self.lower = np.r_[lower, np.full(p, -np.inf)]
        self.upper = np.r_[upper, np.full(p, np.inf)]
        self.edges = (self.lower.copy(), self.upper.copy())  # what a limit beyond is reported as
        self.lower[self.lower == -1.0] = -_COR_EDGE
        self.upper[self.upper == 1.0] = _COR_EDGE
        # A correlation estimated at +-1 (a singular fit) has no Cholesky factor: the profiles
        # start just inside, and measure from the fit's own deviance.
        size = len(self.estimate) if self.glmm else self.nv  # beta is profiled out in an LMM
        self.x_hat = np.clip(self.estimate[:size], self.lower[:size], self.upper[:size])
        self.base = min(self.deviance(self.x_hat), -2 * self.model.llf)
        self.steps = self._steps()

    # -- the deviance on the SD and correlation scale ---------------------------------
    def deviance(self, x):
        """ML deviance at x: (SDs, correlations, sigma) for a linear model, beta profiled out;
        (SDs, correlations, beta) for a GLMM."""
        try:
            theta, sigma = self.space.to_theta(x[:self.nv])
        except np.linalg.LinAlgError:
            return np.inf
        if self.glmm:
            return self.core(np.r_[theta, x[self.nv:]])
        try:
            state = self.core.factorize(theta)
        except (np.linalg.LinAlgError, ValueError, RuntimeError):
            return np.inf
        n = self.core.n
        return (state["logdet"] - self.log_weights + state["pwrss"] / sigma ** 2
                + n * np.log(2 * np.pi * sigma ** 2))

    def _fixed_deviance(self, j, value, theta):
        """The ML deviance with beta_j held at `value`: sigma and the other betas profiled."""
        try:
            state = self.core.factorize(theta)
        except (np.linalg.LinAlgError, ValueError, RuntimeError):
            return np.inf
        inverse = np.linalg.inv(state["xvx"])
        pwrss = state["pwrss"] + (value - state["beta"][j]) ** 2 / inverse[j, j]
        n = self.core.n
        return state["logdet"] - self.log_weights + n * (1 + np.log(2 * np.pi * pwrss / n))

    def _steps(self):
        """A rough SE of each parameter, to step out from the estimate: a quarter of an SD or
        sigma (at least 1e-3 of the largest), 0.2 for a correlation, the fixed effects' SEs."""
        kinds = np.array(self.space.kinds)
        scale = np.abs(self.estimate[:self.nv])
        variance = np.where(kinds == "cor", 0.2, np.maximum(scale, 1e-3 * scale.max()) / 4)
        return np.r_[variance, self.model.fixef["se"].to_numpy()]

    # -- profiling -----------------------------------------------------------------------
    def zeta(self, w, value, start):
        """zeta at parameter w = value (the others optimised from `start`), and where."""
        if w >= self.nv and not self.glmm:
            j = w - self.nv
            scales = np.maximum(np.abs(self.model._theta), 0.1)
            objective = lambda u: self._fixed_deviance(j, value, u * scales)  # noqa: E731
            result = optimize.minimize(objective, start / scales, method="L-BFGS-B")
            rest = result.x * scales
        else:
            free = np.arange(len(self.x_hat)) != w
            scales = self.steps[:len(self.x_hat)][free]

            def objective(u):
                x = np.empty(len(self.x_hat))
                x[w], x[free] = value, u * scales
                return self.deviance(x)

            bounds = list(zip(self.lower[:len(free)][free] / scales,
                              self.upper[:len(free)][free] / scales))
            result = optimize.minimize(objective, start / scales, method="L-BFGS-B",
                                       bounds=bounds)
            rest = result.x * scales
        change = max(result.fun - self.base, 0.0)
        return np.sign(value - self.estimate[w]) * np.sqrt(change), rest

    def limit(self, w, side, z):
        """The value of parameter w where zeta = side * z, or the edge of its range."""
        estimate, step = self.estimate[w], self.steps[w]
        edge = self.upper[w] if side > 0 else self.lower[w]
        reported = self.edges[side > 0][w]
        if side * (edge - estimate) <= 0:  # at the edge already (a boundary fit)
            return reported
        free = np.arange(len(self.x_hat)) != w
        start = (self.model._theta.copy() if w >= self.nv and not self.glmm
                 else self.x_hat[free].copy())
        previous, value = estimate, estimate
        for _ in range(60):  # step out until zeta passes the target
            value = estimate + side * z * step
            if side * (value - edge) >= 0:
                value = edge
            zeta, rest = self.zeta(w, value, start)
            if side * zeta >= z:
                break
            if value == edge:
                return reported
            start, previous, step = rest, value, step * 2
        target = side * z
        lo, hi = sorted((previous, value))
        return optimize.brentq(lambda c: self.zeta(w, c, start)[0] - target, lo, hi,
                               xtol=1e-4 * self.steps[w])

    def confint(self, level):
        z = stats.norm.ppf((1 + level) / 2)
        # The matrices are small: BLAS threads cost more than they give (as in fit.py).
        with threadpool_limits(limits=1, user_api="blas"):
            lower = [self.limit(w, -1, z) for w in range(len(self.names))]
            upper = [self.limit(w, +1, z) for w in range(len(self.names))]
        return _table(self.names, lower, upper)
