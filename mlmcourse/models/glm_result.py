"""The fitted GLMM, the last stage of a ``family="binomial"`` or ``"poisson"`` fit.

Takes the design, the deviance core of `glmm.py` and its optimum, and gives the tables of a
linear fit where they mean something (it subclasses
:class:`~mlmcourse.models.result.FitResult`, whose ``ranef``, ``coef``, ``covariance`` and
prediction machinery work unchanged on the GLMM deviance core), plus what is particular to a
GLMM: the family, predictions on the response scale, marginal (population-averaged)
predictions, and the honest warnings (separation, overdispersion).
"""
import numpy as np
import pandas as pd
from scipy import optimize as sp_optimize
from scipy import stats
from numpy.polynomial import hermite_e

from mlmcourse.models.families import Family
from mlmcourse.models.formula import FormulaError
from mlmcourse.models.glmm import GLMMDeviance, minimize_glmm
from mlmcourse.models.optimize import is_singular
from mlmcourse.models.result import FitResult
from mlmcourse.models.summary import columns, fixef_text

_MARGINAL_POINTS = 61  # Gauss-Hermite points for averaging over the random effects
OVERDISPERSION_RATIO = 1.5


def check_nagq(design, nagq):
    """nagq > 1 only for one scalar random term (lme4's rule); a FormulaError otherwise."""
    if nagq == 1:
        return
    terms = [f"{t} | {b.factor}" for b in design.blocks for t in b.terms]
    if len(design.blocks) != 1 or len(design.blocks[0].terms) != 1:
        raise FormulaError(f"nagq={nagq} (adaptive Gauss-Hermite quadrature) works only for a "
                           "model with one scalar random term such as '(1 | group)'; this model "
                           "has the random effects " + ", ".join(repr(t) for t in terms)
                           + ". Use nagq=1 (the Laplace approximation).")


class GLMMResult(FitResult):
    """A fitted generalized linear mixed model (binomial-logit or Poisson-log), as lme4's glmer.

    ``llf`` is lme4's ``logLik``: the Laplace approximation for ``nagq=1``.  For ``nagq`` above
    1 it is the full log-likelihood by adaptive Gauss-Hermite quadrature, as glmmTMB and
    ``glmer``'s Laplace fits report it; lme4 1.1-31 prints for such fits a log-likelihood
    measured against the saturated model (lme4 issues #161 and #567), which differs from
    ``llf`` by the saturated model's log-likelihood, a constant of the data.

    Examples
    --------
    >>> import mlmcourse
    >>> cbpp = mlmcourse.load_dataset("cbpp")
    >>> model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
    ...                       cbpp, family="binomial")
    >>> round(model.llf, 3), model.fixef["estimate"].round(3).tolist()
    (-92.026, [-1.399, -0.992, -1.129, -1.58])
    >>> round(float(model.varcorr["sd"].iloc[0]), 3)
    0.642
    """

    @classmethod
    def from_design(cls, parsed, data, design, family, nagq, env):
        """Optimise and wrap: the stages of `glmm.py`, then this result."""
        fam = Family(family, design.trials)
        deviance = GLMMDeviance(design, fam, nagq)
        params, converged, tried, hessian = minimize_glmm(deviance)
        return cls(parsed, data, design, deviance, params, converged, tried, hessian, env)

    def __init__(self, parsed, data, design, deviance, params, converged, tried, hessian, env):
        nt = deviance.n_theta
        self.formula = parsed.text
        self.reml = False
        self.family = deviance.family.name
        self.link = deviance.family.link_name
        self.nagq = deviance.nagq
        self.response = parsed.response
        self.group_names = parsed.group_names
        self.weights = None
        self.nobs = len(design.y)
        sizes = {f.name: len(f.levels) for f in design.factors}
        self.ngroups = {f: sizes[f] for f in self.group_names}
        self.converged = converged
        self.optimizers = tried
        self._parsed, self._design, self._deviance = parsed, design, deviance
        self._theta, self._params = params[:nt], params
        self.data = data
        self._env = env
        self._y, self._X, self._blocks, self._labels = design.y, design.X, design.blocks, \
            design.labels
        self._family = deviance.family
        self._state = deviance.state(params)
        self.llf = -0.5 * self._state["deviance"]
        self._sigma2 = 1.0
        self._beta = params[nt:]
        self._hessian = hessian
        self._beta_cov = self._vcov(hessian, nt)
        self.singular = is_singular(design, self._theta)

    def _vcov(self, hessian, nt):
        """lme4's vcov for a GLMM: the fixed-effects block of 2 H^{-1} (H the deviance's)."""
        p = self._deviance.p
        if p == 0:
            return None
        try:
            V = 2 * np.linalg.inv(hessian)[nt:, nt:]
            V = (V + V.T) / 2
            if np.all(np.isfinite(V)) and np.linalg.eigvalsh(V).min() > 0:
                return V
        except np.linalg.LinAlgError:
            pass
        # lme4's fallback: conditional on theta, from the penalized system with beta inside.
        state = self._deviance.pirls(self._theta)
        X, w = self._deviance.X, state["weights"]
        solution, rhs, _, _ = self._deviance._solve(state["setup"], w, X)
        return np.linalg.inv((X * w[:, None]).T @ X - rhs.T @ solution)

    def _fixef_df(self):
        """None: a GLMM's fixed effects get Wald z tests (lme4's summary; no small-sample df)."""
        return None

    # -- numbers ------------------------------------------------------------------
    @property
    def npar(self):
        """Number of estimated parameters: fixed effects and covariance parameters."""
        return self._deviance.p + self._deviance.n_theta

    @property
    def sigma(self):
        """1: a binomial or Poisson GLMM has no residual scale (lme4's sigma())."""
        return 1.0

    @property
    def icc(self):
        """Latent-scale intraclass correlation of a logistic random-intercept model.

        tau^2 / (tau^2 + pi^2 / 3): the share of the variance of a latent logistic outcome
        that lies between groups.

        Examples
        --------
        >>> import mlmcourse
        >>> cbpp = mlmcourse.load_dataset("cbpp")
        >>> model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
        ...                       cbpp, family="binomial")
        >>> round(model.icc, 3)
        0.111
        """
        if self.family != "binomial":
            raise ValueError("The intraclass correlation of a Poisson GLMM has no single "
                             "definition; compare the variances in .varcorr instead.")
        tau2 = self._intercept_variance()
        return float(tau2 / (tau2 + np.pi ** 2 / 3))

    # -- tables -------------------------------------------------------------------
    @property
    def varcorr(self):
        """Random-effect variances, SDs and correlations (on the link scale; no residual row).

        Examples
        --------
        >>> import mlmcourse
        >>> cbpp = mlmcourse.load_dataset("cbpp")
        >>> model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
        ...                       cbpp, family="binomial")
        >>> model.varcorr.round(3)
          group       term  variance     sd  corr
        0  herd  Intercept     0.412  0.642   NaN
        """
        table = FitResult.varcorr.func(self)
        return table[table["group"] != "Residual"].reset_index(drop=True)

    @property
    def fitted(self):
        """Fitted means (probabilities or rates) given the conditional modes, for the rows used."""
        return pd.Series(self._state["mu"], index=self._X.index, name="fitted")

    @property
    def resid(self):
        """Deviance residuals (lme4's default ``residuals()`` for a GLMM)."""
        y, mu = self._y.to_numpy(float), self._state["mu"]
        dev = self._family.deviance_residuals(y, mu)
        return pd.Series(np.sign(y - mu) * np.sqrt(np.maximum(dev, 0)), index=self._X.index,
                         name="resid")

    @property
    def pearson_ratio(self):
        """Pearson chi-square over residual degrees of freedom (about 1 without overdispersion)."""
        y, mu = self._y.to_numpy(float), self._state["mu"]
        chisq = float((self._family.pearson_residuals(y, mu) ** 2).sum())
        return chisq / max(self.nobs - self.npar, 1)

    # -- prediction ---------------------------------------------------------------
    def predict(self, newdata=None, *, random=True, scale="response"):
        """Predict means (or linear predictors), for groups or averaged over groups.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict for; the rows used in fitting when omitted.
        random : {True, False, "marginal"}
            True: conditional on each row's groups (their conditional modes; a group not seen
            in fitting gets zero, with a warning).  False: for a typical group, whose random
            effects are zero.  "marginal": population-averaged, the mean over the
            random-effects distribution (by Gauss-Hermite quadrature), which for a nonlinear
            link is not the prediction for a typical group.
        scale : {"response", "link"}
            Probabilities or rates, or the linear predictor (for "marginal", the link of the
            averaged mean).

        Returns
        -------
        pandas.Series

        Examples
        --------
        >>> import mlmcourse, pandas as pd
        >>> cbpp = mlmcourse.load_dataset("cbpp")
        >>> model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
        ...                       cbpp, family="binomial")
        >>> new = pd.DataFrame({"period": ["1"], "herd": ["1"]})
        >>> typical = model.predict(new, random=False).round(3).tolist()
        >>> averaged = model.predict(new, random="marginal").round(3).tolist()
        >>> typical, averaged
        ([0.198], [0.216])
        """
        if scale not in ("response", "link"):
            raise FormulaError(f"scale must be 'response' or 'link', not {scale!r}.")
        if random not in (True, False, "marginal"):
            raise FormulaError(f"random must be True, False or 'marginal', not {random!r}.")
        if newdata is None:
            eta_fixed = self._X.to_numpy(float) @ self._beta + self._design.offset
            index = self._X.index
            values = [f.values for f in self._design.factors]
            if random is True:
                eta = self._state["eta"]
        else:
            if not isinstance(newdata, pd.DataFrame):
                raise FormulaError(f"newdata must be a pandas DataFrame, not "
                                   f"{type(newdata).__name__}.")
            X = self._build(self._X.design_info, newdata, "the fixed part")
            eta_fixed = X @ self._beta + self._new_offset(newdata)
            index = newdata.index
            if random is True:
                eta = eta_fixed + self._random_part(newdata)
            elif random == "marginal":
                values = [np.column_stack([self._build(b.design, newdata,
                                                       f"the random terms of {b.factor!r}")
                                           for b in f.blocks]) for f in self._design.factors]
        if random is False:
            eta = eta_fixed
        if random == "marginal":
            mean = self._marginal_mean(eta_fixed, values)
            out = mean if scale == "response" else self._family.sm.link(mean)
        else:
            out = self._family.mean(eta) if scale == "response" else eta
        return pd.Series(np.asarray(out, float), index=index, name="predicted")

    def _marginal_mean(self, eta_fixed, values):
        """E[g^{-1}(eta + z'b)] over b ~ N(0, Sigma): z'b is normal with variance sum z'Sigma z."""
        variance = np.zeros(len(eta_fixed))
        for factor, cov, v in zip(self._design.factors, self._factor_covariances(), values):
            variance += np.einsum("ij,jk,ik->i", v, cov, v)
        nodes, weights = hermite_e.hermegauss(_MARGINAL_POINTS)
        weights = weights / weights.sum()
        sd = np.sqrt(variance)
        return sum(w * self._family.mean(eta_fixed + sd * t) for t, w in zip(nodes, weights))

    # -- warnings -----------------------------------------------------------------
    def _problems(self):
        notes = FitResult._problems(self)
        separated = self.separation
        if separated:
            notes.append("Complete or quasi-complete separation: the outcome is predicted "
                         "perfectly along the fixed-effect direction of "
                         + ", ".join(repr(t) for t in separated) + ", so those estimates "
                         "run off to infinity and their standard errors mean nothing. Drop "
                         "or merge the predictors (or categories) that separate the outcome, "
                         "or use a penalized (Firth or Bayesian) fit.")
        if self.family == "poisson" or (self._design.trials is not None
                                        and np.any(self._design.trials > 1)):
            ratio = self.pearson_ratio
            df = max(self.nobs - self.npar, 1)
            p = stats.chi2.sf(ratio * df, df)
            if ratio > OVERDISPERSION_RATIO and p < 0.05:
                notes.append(f"Overdispersion: the Pearson chi-square is {ratio:.2f} times its "
                             f"residual degrees of freedom ({df}; p = {p:.2g}), so the "
                             "standard errors are too small. Add an observation-level random "
                             "effect: number the rows in a column, say 'obs', and add "
                             "'+ (1 | obs)' to the formula.")
        return notes

    @property
    def separation(self):
        """Fixed-effect terms along which a binomial outcome is separated (empty if none).

        A linear program (Konis 2007): is there a direction d with x'd >= 0 for every success,
        x'd <= 0 for every failure, not zero everywhere?  Then the likelihood keeps rising along
        d and the estimates are infinite.
        """
        if self.family != "binomial" or self._deviance.p == 0:
            return []
        X = self._X.to_numpy(float)
        y = self._y.to_numpy(float)
        scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
        Xs = X / scale
        sign = np.where(y >= 1, 1.0, np.where(y <= 0, -1.0, 0.0))
        pure = sign != 0
        A_ub = -(sign[pure, None] * Xs[pure])
        A_eq = Xs[~pure] if (~pure).any() else None
        result = sp_optimize.linprog(A_ub.sum(axis=0), A_ub=A_ub, b_ub=np.zeros(pure.sum()),
                                     A_eq=A_eq, b_eq=None if A_eq is None else
                                     np.zeros(A_eq.shape[0]),
                                     bounds=[(-1, 1)] * X.shape[1], method="highs")
        if result.status != 0 or -result.fun < 1e-7 * pure.sum():
            return []
        direction = result.x
        return [name for name, d in zip(self._X.columns, direction) if abs(d) > 1e-6]

    # -- text -----------------------------------------------------------------------
    def summary(self):
        """lme4's summary of a glmer fit: fit criteria, random effects, fixed effects with p.

        Examples
        --------
        >>> import mlmcourse
        >>> cbpp = mlmcourse.load_dataset("cbpp")
        >>> model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
        ...                       cbpp, family="binomial")
        >>> print(model.summary())  # doctest: +NORMALIZE_WHITESPACE
        Generalized linear mixed model fit by maximum likelihood (Laplace Approximation)
         Family: binomial  ( logit )
        Formula: cbind(incidence, size - incidence) ~ period + (1 | herd)
           AIC    BIC  logLik  deviance  df.resid
         194.1  204.2  -92.03     184.1        51
        <BLANKLINE>
        Random effects:
         Group  Term       Variance  Std.Dev.
         herd   Intercept    0.4125    0.6423
        Number of obs: 56, groups: herd, 15
        <BLANKLINE>
        Fixed effects (Wald z tests):
                      Estimate  Std. Error  z value  Pr(>|z|)
         Intercept     -1.3985      0.2325    -6.02  1.79e-09
         period[T.2]   -0.9923      0.3066    -3.24   0.00121
         period[T.3]   -1.1287      0.3266    -3.46  0.000549
         period[T.4]   -1.5803      0.4274    -3.70  0.000218
        """
        method = ("Laplace Approximation" if self.nagq == 1
                  else f"Adaptive Gauss-Hermite Quadrature, nAGQ = {self.nagq}")
        criteria = columns([("AIC", "BIC", "logLik", "deviance", "df.resid"),
                            (f"{self.aic:.1f}", f"{self.bic:.1f}", f"{self.llf:.2f}",
                             f"{-2 * self.llf:.1f}", str(self.nobs - self.npar))], "rrrrr")
        table = self.varcorr
        rows = [("Group", "Term", "Variance", "Std.Dev.", "Corr")]
        previous = None
        for _, row in table.iterrows():
            group = row["group"] if row["group"] != previous else ""
            previous = row["group"]
            corr = "" if np.isnan(row["corr"]) else f"{row['corr']:.2f}"
            rows.append((group, row["term"], f"{row['variance']:.4f}", f"{row['sd']:.4f}", corr))
        if all(r[4] == "" for r in rows[1:]):
            rows = [r[:4] for r in rows]
        lines = ["Generalized linear mixed model fit by maximum likelihood (" + method + ")",
                 f" Family: {self.family}  ( {self.link} )", f"Formula: {self.formula}",
                 criteria, "", "Random effects:", columns(rows, "llrrr"[:len(rows[0])]),
                 f"Number of obs: {self.nobs}, groups: "
                 + "; ".join(f"{g}, {n}" for g, n in self.ngroups.items()), "",
                 "Fixed effects (Wald z tests):", fixef_text(self.fixef)]
        lines += [f"Note: {note}" for note in self._problems()]
        return "\n".join(lines)

    @property
    def statsmodels(self):
        """statsmodels has no maximum-likelihood GLMM to hand this fit to."""
        raise FormulaError("statsmodels has no maximum-likelihood GLMM (its BayesMixedGLM "
                           "models are variational Bayes), so this fit has no .statsmodels "
                           "counterpart; everything else on the result works.")
