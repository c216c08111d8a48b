"""Fit linear mixed models written as in lme4, backed by statsmodels' MixedLM.

``fit`` reads an lme4-style formula, checks the data, and maximises the
(restricted) likelihood over the relative covariance factor of the random
effects, with the fixed effects and the residual variance profiled out, the
same parametrisation lme4 and statsmodels use.  The deviance is computed from
per-group sufficient statistics, equal to statsmodels' ``MixedLM.loglike`` but
much faster.  The optimum is checked by its gradient, and harder starts and
optimizers are tried only when the check fails or the fit is singular.  The
result carries a statsmodels ``MixedLMResults`` at that optimum, built on first
use of ``.statsmodels``.
"""
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import patsy
from scipy import linalg, optimize, stats

from mlmcourse.formula import FormulaError, check_columns, parse_formula, variable_names

__all__ = ["FitResult", "FormulaError", "ModelWarning", "compare", "fit"]

SINGULAR_TOLERANCE = 1e-4  # lme4's isSingular(): a relative Cholesky diagonal below this
GRADIENT_TOLERANCE = 1e-3  # largest acceptable |d deviance / d theta| at the optimum
_Z95 = stats.norm.ppf(0.975)


class ModelWarning(UserWarning):
    """Something about a fit that the user should know: dropped rows, a boundary fit.

    Examples
    --------
    >>> import warnings, mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     model = mlmcourse.fit("log_radon ~ floor + uranium + (uranium | county)", radon)
    >>> caught[0].category.__name__, model.singular
    ('ModelWarning', True)
    """


# ---------------------------------------------------------------------------
# The model's structure: which columns vary by which grouping factor
# ---------------------------------------------------------------------------

@dataclass
class _Block:
    """Random effects of one grouping factor that share one covariance matrix."""

    factor: str
    terms: list          # column names, "Intercept" for the intercept
    design: object       # patsy DesignInfo that builds the columns
    values: np.ndarray   # n x len(terms)
    labels: np.ndarray = None  # each row's level of `factor`


@dataclass
class _Structure:
    """Blocks of the outer factor (statsmodels' groups) and nested or crossed components."""

    outer: str           # name of the outer grouping factor, or None when crossed
    outer_labels: np.ndarray
    re_blocks: list      # blocks of the outer factor: correlated within, independent between
    vc_blocks: list      # single-term blocks of other factors: statsmodels variance components


def _labels(data, factor):
    """Each row's level of `factor`: the column's own values, or "a:b" text for an interaction."""
    columns = factor.split(":")
    if len(columns) == 1:
        return data[factor].to_numpy()
    labels = data[columns[0]].astype(str)
    for column in columns[1:]:
        labels = labels + ":" + data[column].astype(str)
    return labels.to_numpy()


def _random_blocks(parsed, data, env):
    blocks = []
    for term in parsed.random:
        groups = [term.terms] if term.correlated else [(t,) for t in term.terms]
        for exprs in groups:
            rhs = " + ".join(e for e in exprs if e != "1")
            rhs = ("1 + " + rhs if "1" in exprs else "0 + " + rhs).rstrip(" +")
            matrix = _design(rhs, data, env, f"the random term {term.text!r}")
            terms = list(matrix.columns)
            blocks.append(_Block(term.group, terms, matrix.design_info, matrix.to_numpy(float)))
    return blocks


def _design(rhs, data, env, where):
    try:
        with np.errstate(divide="ignore", invalid="ignore"):  # infinities are reported below
            matrix = patsy.dmatrix(rhs, data, eval_env=env, NA_action="raise",
                                   return_type="dataframe")
    except Exception as error:  # patsy reports every problem as its own exception type
        raise FormulaError(f"Cannot build {where} from the data: {error}") from None
    for name, column in matrix.items():
        infinite = ~np.isfinite(column.to_numpy(float))
        if infinite.any():
            raise FormulaError(f"{name!r} in {where} is infinite in {int(infinite.sum())} rows "
                               "(a log of zero?); change the transformation or drop those rows.")
    return matrix


def _is_nested(inner, outer):
    """Whether every level of `inner` sits inside one level of `outer`."""
    return pd.DataFrame({"i": inner, "o": outer}).groupby("i")["o"].nunique().max() == 1


def _structure(parsed, data, blocks):
    factors = parsed.group_names
    labels = {f: _labels(data, f) for f in factors}
    outer = next((f for f in factors
                  if all(_is_nested(labels[g], labels[f]) for g in factors if g != f)), None)
    for block in blocks:
        if block.factor != outer and len(block.terms) > 1:
            raise FormulaError(_refusal(block, outer, factors))
    outer_labels = labels[outer] if outer else np.zeros(len(data), dtype=int)
    re_blocks = [b for b in blocks if b.factor == outer]
    vc_blocks = [b for b in blocks if b.factor != outer]
    if outer is None and any(b.terms != ["Intercept"] for b in vc_blocks):
        sloped = next(b.factor for b in vc_blocks if b.terms != ["Intercept"])
        raise FormulaError(
            f"The grouping factors {' and '.join(repr(f) for f in factors)} are crossed (neither "
            f"is nested in the other) and {sloped!r} has a random slope; statsmodels' MixedLM can "
            "fit crossed factors only with random intercepts. Keep the slopes on one factor and "
            "nest the others in it, drop the slopes, or fit this model with lme4 in R.")
    return _Structure(outer, outer_labels, re_blocks, vc_blocks), labels


def _refusal(block, outer, factors):
    where = (f"nested in {outer!r}" if outer else
             "crossed with " + " and ".join(repr(f) for f in factors if f != block.factor))
    return (f"The grouping factor {block.factor!r} is {where}, and statsmodels' MixedLM can give "
            f"such a factor only uncorrelated random effects, not the correlated terms "
            f"{', '.join(block.terms)}. Write them uncorrelated, as "
            f"'({' + '.join(t for t in block.terms if t != 'Intercept')} || {block.factor})', "
            "or fit this model with lme4 in R.")


# ---------------------------------------------------------------------------
# The profiled (restricted) deviance, from sufficient statistics per group
# ---------------------------------------------------------------------------

class _Profile:
    """The profiled deviance as a function of theta, the relative covariance factor.

    Within outer group i the random effects are b_i = Lambda_i u_i with
    u_i ~ N(0, sigma^2 I); Lambda_i holds the lower-triangular factor L of the
    outer factor's blocks and sqrt(variance / sigma^2) of each component.
    Everything the deviance needs is computed from Z'Z, Z'X and Z'y per group.
    """

    def __init__(self, y, X, structure, reml):
        self.reml, self.n, self.p = reml, len(y), X.shape[1]
        self.structure = structure
        self.k_re = sum(len(b.terms) for b in structure.re_blocks)
        self._tril = self._tril_indices(structure.re_blocks)
        self.n_theta = len(self._tril[0]) + len(structure.vc_blocks)
        self.groups, codes = np.unique(structure.outer_labels, return_inverse=True)
        self._build(y, X, structure, codes)

    @staticmethod
    def _tril_indices(re_blocks):
        rows, cols, start = [], [], 0
        for block in re_blocks:
            for i in range(len(block.terms)):
                for j in range(i + 1):
                    rows.append(start + i)
                    cols.append(start + j)
            start += len(block.terms)
        return np.array(rows, dtype=int), np.array(cols, dtype=int)

    def _build(self, y, X, structure, codes):
        Zre = (np.column_stack([b.values for b in structure.re_blocks])
               if structure.re_blocks else np.zeros((len(y), 0)))
        per_group = [self._group_columns(Zre, structure, np.flatnonzero(codes == g))
                     for g in range(len(self.groups))]
        self.Q = max(z.shape[1] for z, _, _ in per_group)
        G, Q, p = len(self.groups), self.Q, self.p
        self.ZtZ, self.ZtXy = np.zeros((G, Q, Q)), np.zeros((G, Q, p + 1))
        self.component = np.full((G, Q - self.k_re), -1, dtype=int)
        self.columns, self.rows = [], []
        Xy = np.column_stack([X, y])
        for g, (Z, component, columns) in enumerate(per_group):
            rows = np.flatnonzero(codes == g)
            m = Z.shape[1]
            self.ZtZ[g, :m, :m] = Z.T @ Z
            self.ZtXy[g, :m] = Z.T @ Xy[rows]
            self.component[g, : m - self.k_re] = component
            self.columns.append(columns)
            self.rows.append(rows)
        self.XytXy = Xy.T @ Xy

    def _group_columns(self, Zre, structure, rows):
        """Z for one outer group: its outer columns, then one column per inner level."""
        parts, component, columns = [Zre[rows]], [], []
        outer_level = structure.outer_labels[rows[0]] if structure.outer else None
        for block in structure.re_blocks:
            columns += [(block.factor, outer_level, term) for term in block.terms]
        for j, block in enumerate(structure.vc_blocks):
            labels = block.labels[rows]
            for level in np.unique(labels):
                parts.append((block.values[rows, 0] * (labels == level))[:, None])
                component.append(j)
                columns.append((block.factor, level, block.terms[0]))
        return np.column_stack(parts), component, columns

    def is_singular(self, theta):
        """lme4's rule: a diagonal element of the relative factor below the tolerance."""
        diagonal = np.r_[np.diag(self.cholesky_factor(theta)), self.vc_scales(theta)]
        return bool(np.any(np.abs(diagonal) < SINGULAR_TOLERANCE))

    def canonical(self, theta):
        """The same covariance with non-negative diagonal in L and scales (as lme4 reports)."""
        L = self.cholesky_factor(theta)
        L = L * np.where(np.diag(L) < 0, -1.0, 1.0)
        return np.r_[L[self._tril], np.abs(self.vc_scales(theta))]

    def start(self):
        diagonal = (self._tril[0] == self._tril[1]).astype(float)
        return np.r_[diagonal, np.ones(len(self.structure.vc_blocks))]

    def cholesky_factor(self, theta):
        L = np.zeros((self.k_re, self.k_re))
        L[self._tril] = theta[: len(self._tril[0])]
        return L

    def vc_scales(self, theta):
        return theta[len(self._tril[0]):]

    def _lambda(self, thetas):
        """Lambda for every group and every row of `thetas` (m x n_theta)."""
        m, G, Q, k = len(thetas), len(self.groups), self.Q, self.k_re
        lam = np.zeros((m, G, Q, Q))
        n_re = len(self._tril[0])
        L = np.zeros((m, k, k))
        L[:, self._tril[0], self._tril[1]] = thetas[:, :n_re]
        lam[:, :, :k, :k] = L[:, None]
        scales = np.concatenate([thetas[:, n_re:], np.zeros((m, 1))], axis=1)
        diagonal = np.arange(k, Q)
        lam[:, :, diagonal, diagonal] = scales[:, self.component]
        return lam

    def _solve_many(self, thetas):
        """Everything at each theta: GLS fixed effects, quadratic form, log-determinants.

        Lambda = blockdiag(L, I) diag(1, scales), so Lambda' M Lambda is an
        elementwise scaling followed by L acting on the first k rows and columns;
        this avoids dense Q x Q products (slow when Q is large, e.g. nested factors).
        """
        thetas = np.atleast_2d(thetas)
        m, G, k = len(thetas), len(self.groups), self.k_re
        L = np.zeros((m, k, k))
        L[:, self._tril[0], self._tril[1]] = thetas[:, : len(self._tril[0])]
        scales = np.concatenate([thetas[:, len(self._tril[0]):], np.zeros((m, 1))], axis=1)
        d = np.concatenate([np.ones((m, G, k)), scales[:, self.component]], axis=2)
        B = self.ZtZ * d[..., :, None] * d[..., None, :]
        rhs = self.ZtXy * d[..., :, None]
        if k:
            B[..., :k, :] = np.einsum("mji,mgjq->mgiq", L, B[..., :k, :])
            B[..., :, :k] = np.einsum("mgqj,mji->mgqi", B[..., :, :k], L)
            rhs[..., :k, :] = np.einsum("mji,mgjp->mgip", L, rhs[..., :k, :])
        A = B + np.eye(self.Q)
        chol = np.linalg.cholesky(A)
        solved = np.linalg.solve(A, rhs)
        M = self.XytXy - np.einsum("mgqi,mgqj->mij", rhs, solved)
        p = self.p
        xvx, xvy = M[:, :p, :p], M[:, :p, p]
        beta = np.linalg.solve(xvx, xvy[..., None])[..., 0] if p else np.zeros((m, 0))
        qf = M[:, p, p] - np.einsum("mi,mi->m", xvy, beta)
        logdet = 2 * np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(axis=(1, 2))
        return {"A": A, "rhs": rhs, "beta": beta, "qf": qf, "xvx": xvx, "logdet": logdet}

    def solve(self, theta):
        """Everything at one theta (see _solve_many), with Lambda for the conditional modes."""
        out = {key: value[0] for key, value in self._solve_many(theta).items()}
        out["lam"] = self._lambda(np.atleast_2d(theta))[0]
        return out

    def deviances(self, thetas):
        """-2 times the profiled (restricted) log-likelihood at each row of `thetas`."""
        try:
            s = self._solve_many(thetas)
        except np.linalg.LinAlgError:
            if len(thetas) == 1:
                return np.array([np.inf])
            return np.concatenate([self.deviances(t[None]) for t in thetas])
        qf = np.where(s["qf"] > 0, s["qf"], np.nan)
        if not self.reml:
            n = self.n
            out = s["logdet"] + n * (1 + np.log(2 * np.pi * qf / n))
        else:
            m = self.n - self.p
            logdet_xvx = np.linalg.slogdet(s["xvx"])[1] if self.p else 0.0
            out = s["logdet"] + logdet_xvx + m * (1 + np.log(2 * np.pi * qf / m))
        return np.where(np.isfinite(out), out, np.inf)

    def deviance(self, theta):
        """-2 times the profiled (restricted) log-likelihood, as statsmodels computes it."""
        return float(self.deviances(np.asarray(theta, float)[None])[0])

    def gradient(self, theta, step=1e-5):
        """Central-difference gradient of the deviance, all evaluations in one batch."""
        k = len(theta)
        h = step * np.maximum(1.0, np.abs(theta))
        shifts = np.diag(h)
        values = self.deviances(np.concatenate([theta + shifts, theta - shifts]))
        return (values[:k] - values[k:]) / (2 * h)


# ---------------------------------------------------------------------------
# Optimisation: cheap first, escalate only when the gradient check fails
# ---------------------------------------------------------------------------

def _minimize(method, profile, start, options):
    jac = profile.gradient if method == "BFGS" else None
    with np.errstate(all="ignore"):  # far-out trial steps may overflow; they score inf
        return optimize.minimize(profile.deviance, start, method=method, jac=jac,
                                 options=options).x


def _bfgs(profile, start, gtol=1e-8):
    return _minimize("BFGS", profile, start, {"gtol": gtol, "maxiter": 2000})


def _nelder_mead(profile, start):
    found = _minimize("Nelder-Mead", profile, start,
                      {"xatol": 1e-9, "fatol": 1e-12, "maxfev": 20000, "adaptive": True})
    return _bfgs(profile, found)


def _powell(profile, start):
    found = _minimize("Powell", profile, start, {"xtol": 1e-9, "ftol": 1e-13, "maxfev": 20000})
    return _bfgs(profile, found)


def _optimize(profile):
    """Minimise the deviance; returns (theta, converged, optimizers tried).

    theta is unconstrained: L L' is a covariance matrix whatever the signs in
    L, so a variance can pass through zero instead of sticking to a bound (the
    trap that leaves a bounded optimizer at a corner).  A cheap BFGS run comes
    first and is kept when its gradient is flat and the fit is not singular.
    A boundary (singular) optimum may be a local one, so BFGS also runs from
    seeded random starts; a failed gradient check adds Powell and Nelder-Mead.
    The lowest deviance wins, polished by a last BFGS run.
    """
    if profile.n_theta == 0:
        return np.zeros(0), True, []
    theta = _bfgs(profile, profile.start(), gtol=1e-5)
    tried = ["BFGS"]
    if not profile.is_singular(profile.canonical(theta)):
        theta = _bfgs(profile, theta)
        if _is_converged(profile, theta):
            return profile.canonical(theta), True, tried
    converged = _is_converged(profile, theta)
    rng = np.random.default_rng(20240501)
    candidates = [theta]
    for _ in range(3):
        start = profile.start() + rng.normal(0, 0.5, theta.shape)
        candidates.append(_bfgs(profile, start, gtol=1e-4))
        tried.append("BFGS (random start)")
    if not converged:
        candidates += [_powell(profile, theta), _nelder_mead(profile, theta)]
        tried += ["Powell", "Nelder-Mead"]
    best = _bfgs(profile, min(candidates, key=profile.deviance))
    return profile.canonical(best), _is_converged(profile, best), tried


def _is_converged(profile, theta):
    return bool(np.isfinite(profile.deviance(theta))
                and np.max(np.abs(profile.gradient(theta))) < GRADIENT_TOLERANCE)


# ---------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------

def fit(formula, data, *, reml=True):
    """Fit a linear mixed model written in lme4's formula language.

    Parameters
    ----------
    formula : str
        The outcome, ``~``, fixed effects in the usual formula language, and one
        or more random terms in parentheses: ``(1 | g)`` random intercepts,
        ``(x | g)`` correlated intercepts and slopes, ``(x || g)`` or
        ``(1 | g) + (0 + x | g)`` uncorrelated ones, ``(1 | a/b)`` groups `b`
        nested in groups `a`.
    data : pandas.DataFrame
        One row per observation.  Rows with missing values in the columns the
        formula uses are dropped, and their number said in a warning.
    reml : bool, default True
        Restricted maximum likelihood (REML) when true, maximum likelihood when
        false; compare fixed parts of models with ML.

    Returns
    -------
    FitResult

    Raises
    ------
    FormulaError
        For a malformed formula, a column not in the data, a non-numeric
        outcome, a grouping factor with one level, too many random effects for
        the data, or a model statsmodels cannot express.

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> model.fixef["estimate"].round(3).tolist()
    [251.405, 10.467]
    >>> model.varcorr["sd"].round(2).tolist()
    [24.74, 5.92, 25.59]
    """
    env = patsy.EvalEnvironment.capture(1).with_outer_namespace({"np": np, "numpy": np})
    result, notes = _fit(formula, data, reml, env)
    if notes:
        warnings.warn(" ".join(notes), ModelWarning, stacklevel=2)
    return result


def _fit(formula, data, reml, env):
    """fit() without the warning: the result and the notes for the user."""
    parsed = parse_formula(formula)
    used, complete, notes = _usable_rows(parsed, data, env)
    y, X = _fixed_design(parsed, used, env)
    blocks = _random_blocks(parsed, used, env)
    structure, labels = _structure(parsed, used, blocks)
    for block in blocks:
        block.labels = labels[block.factor]
    _check_identifiable(parsed, blocks, labels, len(used))
    profile = _Profile(y.to_numpy(float), X.to_numpy(float), structure, bool(reml))
    theta, converged, tried = _optimize(profile)
    result = FitResult(parsed, bool(reml), used, data[complete], y, X, blocks, labels,
                       profile, theta, converged, tried)
    result._env = env
    return result, notes + result._problems()


def _usable_rows(parsed, data, env):
    """The used columns of `data`, without rows that miss a value in them."""
    if not isinstance(data, pd.DataFrame):
        raise FormulaError(f"The data must be a pandas DataFrame, not {type(data).__name__}.")
    if len(data) == 0:
        raise FormulaError("The data has no rows; there is nothing to fit.")

    def columns_in(expression):  # a name that is no column may be the caller's variable
        return [name for name in variable_names(expression)
                if name in data.columns or name not in env.namespace]

    check_columns(columns_in(parsed.response), data.columns, "the outcome")
    check_columns(columns_in(parsed.fixed), data.columns, "the fixed part of the formula")
    for term in parsed.random:
        for expr in term.terms:
            check_columns(columns_in(expr), data.columns, f"the random term {term.text!r}")
        check_columns(term.group.split(":"), data.columns, f"the random term {term.text!r}")
    names = [columns_in(parsed.response), columns_in(parsed.fixed)]
    names += [columns_in(e) for t in parsed.random for e in t.terms]
    names += [t.group.split(":") for t in parsed.random]
    columns = list(dict.fromkeys(c for group in names for c in group))
    used = data[columns]
    missing = used.isna().any(axis=1)
    notes = []
    if missing.all():
        raise FormulaError("Every row misses a value in a column the formula uses ("
                           + ", ".join(repr(c) for c in columns) + "); there is nothing to fit.")
    if missing.any():
        worst = used.isna().sum().sort_values(ascending=False)
        which = ", ".join(f"{c!r} ({n})" for c, n in worst[worst > 0].items())
        notes.append(f"Dropped {int(missing.sum())} of {len(data)} rows with missing values "
                     f"in {which}.")
    return used[~missing], ~missing.to_numpy(), notes


def _fixed_design(parsed, data, env):
    response_columns = variable_names(parsed.response)
    if parsed.response in data.columns and not _is_numeric(data[parsed.response]):
        raise FormulaError(f"The outcome {parsed.response!r} must be numeric; it holds "
                           f"{data[parsed.response].dtype} values such as "
                           f"{data[parsed.response].iloc[0]!r}.")
    y = _design("0 + " + parsed.response, data, env, f"the outcome {parsed.response!r}")
    if y.shape[1] != 1:
        raise FormulaError(f"The outcome {parsed.response!r} must be one numeric column "
                           f"(columns used: {', '.join(response_columns)}).")
    X = _design(parsed.fixed, data, env, f"the fixed part {parsed.fixed!r}")
    _check_rank(X)
    return y.iloc[:, 0].rename(parsed.response), X


def _is_numeric(column):
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _check_rank(X):
    """Refuse fixed-effect columns that repeat earlier ones (lme4 would drop them)."""
    if X.shape[1] == 0:
        return
    values = X.to_numpy(float)
    r = np.linalg.qr(values, mode="r")
    norms = np.linalg.norm(values, axis=0)
    dependent = [X.columns[j] for j in range(X.shape[1])
                 if abs(r[j, j]) <= 1e-10 * max(norms[j], 1e-300)]
    if dependent:
        raise FormulaError("The fixed part cannot be estimated: the column(s) "
                           + ", ".join(repr(c) for c in dependent)
                           + " are linear combinations of the columns before them; drop them "
                           "from the formula.")


def _check_identifiable(parsed, blocks, labels, nobs):
    """lme4's checks: at least two levels, fewer levels and random effects than rows."""
    for factor in parsed.group_names:
        levels = np.unique(labels[factor])
        if len(levels) < 2:
            raise FormulaError(f"The grouping factor {factor!r} has only one level "
                               f"({levels[0]!r}); random effects need at least two groups.")
        if len(levels) >= nobs:
            raise FormulaError(f"The grouping factor {factor!r} has {len(levels)} levels for "
                               f"{nobs} observations; each group needs more than one observation "
                               "on average, or the random effects cannot be told from the "
                               "residual.")
        n_terms = sum(len(b.terms) for b in blocks if b.factor == factor)
        if len(levels) * n_terms >= nobs:
            raise FormulaError(f"The random terms for {factor!r} have {len(levels) * n_terms} "
                               f"random effects ({n_terms} per level x {len(levels)} levels) "
                               f"for only {nobs} observations; they cannot be told apart from "
                               "the residual. Use fewer random terms.")
        for block in (b for b in blocks if b.factor == factor):
            k = len(block.terms)
            if k * (k + 1) // 2 > len(levels):
                raise FormulaError(
                    f"The random term for {factor!r} has {k * (k + 1) // 2} variance and "
                    f"correlation parameters ({', '.join(block.terms)}) but only {len(levels)} "
                    "groups to estimate them from. Use fewer random slopes, or uncorrelated "
                    "ones with '||'.")


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------

class FitResult:
    """A fitted linear mixed model; see :func:`fit`.

    Attributes hold tidy tables (``fixef``, ``varcorr``, ``ranef``, ``coef``)
    and numbers (``llf``, ``aic``, ``bic``, ``icc``...); ``statsmodels`` gives
    the statsmodels ``MixedLMResults`` at the same optimum.

    Examples
    --------
    >>> import mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> model = mlmcourse.fit("log_radon ~ floor + (1 | county)", radon)
    >>> model.nobs, model.ngroups
    (919, {'county': 85})
    """

    def __init__(self, parsed, reml, used, data, y, X, blocks, labels, profile, theta,
                 converged, tried):
        self.formula = parsed.text
        self.reml = reml
        self.response = parsed.response
        self.group_names = parsed.group_names
        self.data = data
        self.nobs = len(used)
        self.ngroups = {f: int(len(np.unique(labels[f]))) for f in self.group_names}
        self.converged = converged
        self.optimizers = tried
        self._parsed, self._y, self._X, self._blocks, self._labels = parsed, y, X, blocks, labels
        self._profile, self._theta = profile, theta
        solved = profile.solve(theta)
        self.llf = -0.5 * profile.deviance(theta)
        self._sigma2 = solved["qf"] / (profile.n - (profile.p if reml else 0))
        self._solved = solved
        self._beta_cov = self._sigma2 * np.linalg.inv(solved["xvx"]) if profile.p else None
        self.singular = profile.is_singular(theta)

    # -- numbers --------------------------------------------------------------
    @property
    def npar(self):
        """Number of estimated parameters: fixed effects, covariance parameters, residual SD."""
        return self._profile.p + self._profile.n_theta + 1

    @property
    def aic(self):
        """Akaike's information criterion, -2 llf + 2 npar (REML criterion for REML fits)."""
        return -2 * self.llf + 2 * self.npar

    @property
    def bic(self):
        """Bayesian information criterion, -2 llf + log(nobs) npar."""
        return -2 * self.llf + np.log(self.nobs) * self.npar

    @property
    def sigma(self):
        """Residual standard deviation."""
        return float(np.sqrt(self._sigma2))

    @property
    def icc(self):
        """Intraclass correlation: between-group share of variance (random intercepts only).

        Examples
        --------
        >>> import mlmcourse
        >>> hsb = mlmcourse.load_dataset("hsb")
        >>> round(mlmcourse.fit("mathach ~ 1 + (1 | school)", hsb).icc, 3)
        0.18
        """
        if len(self._blocks) != 1 or self._blocks[0].terms != ["Intercept"]:
            raise ValueError("The intraclass correlation is defined here for models with one "
                             "random intercept and nothing else random; this model has "
                             + ", ".join(f"{t} | {b.factor}" for b in self._blocks for t in b.terms)
                             + ". Compare the variances in .varcorr instead.")
        between = self.varcorr["variance"].iloc[0]
        return float(between / (between + self._sigma2))

    def _problems(self):
        notes = []
        if not self.converged:
            notes.append("The optimizer did not reach a point where the likelihood is flat "
                         f"(tried {', '.join(self.optimizers)}); treat the estimates with care.")
        if self.singular:
            notes.append("Boundary (singular) fit: a random-effect variance is estimated at or "
                         "near zero, or a correlation at +-1; the random part may be simpler "
                         "than the formula says.")
        return notes

    # -- tables ---------------------------------------------------------------
    @cached_property
    def fixef(self):
        """Fixed effects: estimate, standard error, Wald z, p and 95% interval, by term.

        Standard errors are lme4's, conditional on the estimated variances.

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.fixef[["estimate", "se"]].round(3)
                   estimate     se
        term
        Intercept   251.405  6.825
        Days         10.467  1.546
        """
        names = list(self._X.columns)
        estimate = self._solved["beta"]
        se = np.sqrt(np.diag(self._beta_cov)) if len(names) else np.zeros(0)
        z = estimate / se
        return pd.DataFrame({"estimate": estimate, "se": se, "z": z,
                             "p": 2 * stats.norm.sf(np.abs(z)),
                             "ci_lower": estimate - _Z95 * se, "ci_upper": estimate + _Z95 * se},
                            index=pd.Index(names, name="term"))

    @cached_property
    def varcorr(self):
        """Random-effect variances, SDs and correlations with the group's first term.

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.varcorr.round(3)
              group       term  variance      sd   corr
        0   Subject  Intercept   612.090  24.740    NaN
        1   Subject       Days    35.072   5.922  0.066
        2  Residual              654.941  25.592    NaN
        """
        rows = []
        for factor in self.group_names:
            for block, cov in self._block_covariances():
                if block.factor != factor:
                    continue
                sd = np.sqrt(np.diag(cov))
                for i, term in enumerate(block.terms):
                    corr = cov[i, 0] / (sd[i] * sd[0]) if i > 0 and sd[i] * sd[0] > 0 else np.nan
                    rows.append({"group": factor, "term": term, "variance": cov[i, i],
                                 "sd": sd[i], "corr": corr})
        rows.append({"group": "Residual", "term": "", "variance": self._sigma2,
                     "sd": self.sigma, "corr": np.nan})
        return pd.DataFrame(rows)

    def covariance(self, group):
        """Covariance matrix of one grouping factor's random effects (lme4's VarCorr matrix).

        Parameters
        ----------
        group : str
            A grouping factor as in :attr:`group_names`.

        Returns
        -------
        pandas.DataFrame
            Terms by terms; zero between terms written as uncorrelated.

        Examples
        --------
        >>> import mlmcourse
        >>> sleep = mlmcourse.load_dataset("sleepstudy")
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
        >>> model.covariance("Subject").round(1)
                   Intercept  Days
        Intercept      612.1   9.6
        Days             9.6  35.1
        """
        if group not in self.group_names:
            check_columns([group], self.group_names, "covariance()")
        pieces = [(b, cov) for b, cov in self._block_covariances() if b.factor == group]
        terms = [t for b, _ in pieces for t in b.terms]
        matrix = linalg.block_diag(*[cov for _, cov in pieces])
        return pd.DataFrame(matrix, index=terms, columns=terms)

    def _block_covariances(self):
        """(block, covariance matrix) for every block, in the order of the formula."""
        profile, theta = self._profile, self._theta
        L = profile.cholesky_factor(theta)
        covariance = self._sigma2 * L @ L.T
        scales = profile.vc_scales(theta)
        out, start = {}, 0
        for block in profile.structure.re_blocks:
            k = len(block.terms)
            out[id(block)] = covariance[start:start + k, start:start + k]
            start += k
        for j, block in enumerate(profile.structure.vc_blocks):
            out[id(block)] = np.array([[self._sigma2 * scales[j] ** 2]])
        return [(block, out[id(block)]) for block in self._blocks]

    @cached_property
    def ranef(self):
        """Conditional modes of the random effects with their conditional SEs.

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.ranef.head(2).round(3)
             group level       term  estimate      se
        0  Subject   308  Intercept     2.259  12.071
        1  Subject   309  Intercept   -40.399  12.071
        """
        s, profile = self._solved, self._profile
        u = np.linalg.solve(s["A"], s["rhs"][:, :, -1:] - s["rhs"][:, :, :-1] @ s["beta"][:, None])
        b = (s["lam"] @ u)[:, :, 0]
        lam_t = np.swapaxes(s["lam"], 1, 2)
        var = self._sigma2 * np.einsum("gij,gji->gi", s["lam"], np.linalg.solve(s["A"], lam_t))
        rows = []
        for g, columns in enumerate(profile.columns):
            for c, (factor, level, term) in enumerate(columns):
                rows.append((factor, level, term, b[g, c], np.sqrt(max(var[g, c], 0.0))))
        table = pd.DataFrame(rows, columns=["group", "level", "term", "estimate", "se"])
        order = {f: i for i, f in enumerate(self.group_names)}
        pairs = [(b.factor, t) for b in self._blocks for t in b.terms]
        terms = {pair: i for i, pair in enumerate(pairs)}
        table["_g"] = table["group"].map(order)
        table["_t"] = [terms[(f, t)] for f, t in zip(table["group"], table["term"])]
        table = table.sort_values(["_g", "_t", "level"], kind="stable")
        return table.drop(columns=["_g", "_t"]).reset_index(drop=True)

    @cached_property
    def coef(self):
        """Per level of the first grouping factor: fixed effect plus conditional mode (lme4's coef).

        Examples
        --------
        >>> import mlmcourse
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)",
        ...                       mlmcourse.load_dataset("sleepstudy"))
        >>> model.coef.head(2).round(3)  # doctest: +NORMALIZE_WHITESPACE
                 Intercept    Days
        Subject
        308        253.664  19.666
        309        211.007   1.848
        """
        factor = self.group_names[0]
        table = self.ranef[self.ranef["group"] == factor]
        levels = np.unique(self._labels[factor])
        out = pd.DataFrame({t: np.full(len(levels), v) for t, v in self.fixef["estimate"].items()},
                           index=pd.Index(levels, name=factor))
        for term, rows in table.groupby("term"):
            if term in out.columns:
                out[term] += rows.set_index("level")["estimate"].reindex(levels).to_numpy()
        return out

    # -- fitted values and prediction -------------------------------------------
    @cached_property
    def fitted(self):
        """Fitted values: fixed part plus conditional modes, for the rows used."""
        return self._predict_from(self._X.to_numpy(float), self._random_columns(None),
                                  self._labels, warn=False).rename("fitted")

    @property
    def resid(self):
        """Residuals, outcome minus fitted values."""
        return (self._y - self.fitted).rename("resid")

    def predict(self, newdata=None, *, random=True):
        """Predict the outcome, with or without the groups' random effects.

        Parameters
        ----------
        newdata : pandas.DataFrame, optional
            Rows to predict for; the rows used in fitting when omitted.
        random : bool, default True
            Add each group's conditional modes.  A group not seen in fitting gets
            the fixed part only, and a warning names it.

        Returns
        -------
        pandas.Series

        Examples
        --------
        >>> import mlmcourse, pandas as pd
        >>> sleep = mlmcourse.load_dataset("sleepstudy")
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
        >>> new = pd.DataFrame({"Days": [0, 0], "Subject": ["308", "999"]})
        >>> import warnings
        >>> with warnings.catch_warnings(record=True):
        ...     model.predict(new).round(1).tolist()
        [253.7, 251.4]
        """
        if newdata is None:
            return self.fitted.rename("predicted") if random else pd.Series(
                self._X.to_numpy(float) @ self._solved["beta"], index=self._X.index,
                name="predicted")
        if not isinstance(newdata, pd.DataFrame):
            raise FormulaError(f"newdata must be a pandas DataFrame, not {type(newdata).__name__}.")
        X = self._build(self._X.design_info, newdata, "the fixed part")
        if not random:
            return pd.Series(X @ self._solved["beta"], index=newdata.index, name="predicted")
        labels = {}
        for factor in self.group_names:
            check_columns(factor.split(":"), newdata.columns, "the grouping factors")
            labels[factor] = _labels(newdata, factor)
        return self._predict_from(X, self._random_columns(newdata), labels, warn=True,
                                  index=newdata.index)

    def _build(self, design_info, newdata, where):
        try:
            return np.asarray(patsy.build_design_matrices([design_info], newdata,
                                                          NA_action="raise")[0])
        except Exception as error:
            raise FormulaError(f"Cannot build {where} for newdata: {error}") from None

    def _random_columns(self, newdata):
        columns = {}
        for block in self._blocks:
            values = block.values if newdata is None else self._build(
                block.design, newdata, f"the random terms of {block.factor!r}")
            for i, term in enumerate(block.terms):
                columns[(block.factor, term)] = values[:, i]
        return columns

    def _predict_from(self, X, columns, labels, *, warn, index=None):
        index = self._X.index if index is None else index
        prediction = X @ self._solved["beta"]
        unseen = {}
        for (factor, term), values in columns.items():
            modes = self.ranef[(self.ranef["group"] == factor) & (self.ranef["term"] == term)]
            effect = pd.Series(labels[factor]).map(modes.set_index("level")["estimate"])
            missing = effect.isna().to_numpy()
            if missing.any():
                unseen[factor] = sorted(set(labels[factor][missing]))
            prediction = prediction + values * effect.fillna(0.0).to_numpy()
        if warn and unseen:
            said = "; ".join(f"{factor} {', '.join(repr(_plain(level)) for level in levels[:10])}"
                             + (f" and {len(levels) - 10} more" if len(levels) > 10 else "")
                             for factor, levels in unseen.items())
            warnings.warn(f"Groups not seen in fitting get the fixed part only: {said}.",
                          ModelWarning, stacklevel=3)
        return pd.Series(prediction, index=index, name="predicted")

    # -- text -------------------------------------------------------------------
    def summary(self):
        """A compact, lme4-like text summary with rounded numbers.

        Examples
        --------
        >>> import mlmcourse
        >>> sleep = mlmcourse.load_dataset("sleepstudy")
        >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
        >>> print(model.summary())  # doctest: +NORMALIZE_WHITESPACE
        Linear mixed model fit by REML
        Formula: Reaction ~ Days + (Days | Subject)
        REML criterion: 1743.6   logLik: -871.81   AIC: 1755.6   BIC: 1774.8
        <BLANKLINE>
        Random effects:
         Group     Term       Variance  Std.Dev.  Corr
         Subject   Intercept    612.09    24.740
                   Days          35.07     5.922  0.07
         Residual               654.94    25.592
        Number of obs: 180, groups: Subject, 18
        <BLANKLINE>
        Fixed effects:
                    Estimate  Std. Error  z value
         Intercept   251.405       6.825    36.84
         Days         10.467       1.546     6.77
        """
        method = "REML" if self.reml else "maximum likelihood"
        criterion = "REML criterion" if self.reml else "Deviance"
        lines = [f"Linear mixed model fit by {method}", f"Formula: {self.formula}",
                 f"{criterion}: {-2 * self.llf:.1f}   logLik: {self.llf:.2f}   "
                 f"AIC: {self.aic:.1f}   BIC: {self.bic:.1f}", "", "Random effects:",
                 self._varcorr_text(),
                 f"Number of obs: {self.nobs}, groups: "
                 + "; ".join(f"{g}, {n}" for g, n in self.ngroups.items()), "",
                 "Fixed effects:", self._fixef_text()]
        lines += [f"Note: {note}" for note in self._problems()]
        return "\n".join(lines)

    def _varcorr_text(self):
        table = self.varcorr
        var_digits = _decimals(table["variance"].max(), 4, 2)
        sd_digits = _decimals(table["sd"].max(), 5, 2)
        rows, previous = [], None
        for _, row in table.iterrows():
            group = row["group"] if row["group"] != previous else ""
            previous = row["group"]
            corr = "" if np.isnan(row["corr"]) else f"{row['corr']:.2f}"
            rows.append((group, row["term"], f"{row['variance']:.{var_digits}f}",
                         f"{row['sd']:.{sd_digits}f}", corr))
        header = ("Group", "Term", "Variance", "Std.Dev.", "Corr")
        return _columns([header] + rows, align="llrrr")

    def _fixef_text(self):
        table = self.fixef
        digits = _decimals(table["estimate"].abs().max(), 5, 3)
        rows = [("", "Estimate", "Std. Error", "z value")]
        for term, row in table.iterrows():
            rows.append((term, f"{row['estimate']:.{digits}f}", f"{row['se']:.{digits}f}",
                         f"{row['z']:.2f}"))
        return _columns(rows, align="lrrr")

    def __repr__(self):
        return self.summary()

    # -- statsmodels --------------------------------------------------------------
    @cached_property
    def statsmodels(self):
        """The statsmodels ``MixedLMResults`` at this optimum (built on first use)."""
        return _statsmodels_results(self)


def _decimals(largest, significant, fewest):
    """Decimals that show `significant` digits of the column's largest value."""
    magnitude = int(np.floor(np.log10(largest))) if largest > 0 else 0
    return int(np.clip(significant - 1 - magnitude, fewest, 6))


def _columns(rows, align):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [str(c).ljust(w) if a == "l" else str(c).rjust(w)
                 for c, w, a in zip(row, widths, align)]
        out.append(" " + "  ".join(cells).rstrip())
    return "\n".join(out)


def _statsmodels_results(result):
    """A statsmodels MixedLM and its results at our optimum (no statsmodels optimisation)."""
    from statsmodels.regression.mixed_linear_model import (MixedLM, MixedLMParams,
                                                           MixedLMResults, MixedLMResultsWrapper,
                                                           VCSpec)
    profile, theta, structure = result._profile, result._theta, result._profile.structure
    groups = structure.outer_labels
    exog_re = (pd.DataFrame(np.column_stack([b.values for b in structure.re_blocks]),
                            columns=[t for b in structure.re_blocks for t in b.terms],
                            index=result._X.index) if structure.re_blocks else None)
    vc = _vc_spec(profile, structure, VCSpec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixedLM(result._y, result._X, groups, exog_re=exog_re, exog_vc=vc)
        L = profile.cholesky_factor(theta)
        params = MixedLMParams.from_components(fe_params=result._solved["beta"], cov_re=L @ L.T,
                                               vcomp=profile.vc_scales(theta) ** 2)
        free = _free_pattern(profile, structure, MixedLMParams)
        model.reml, model.cov_pen, model.fe_pen, model._freepat = result.reml, None, None, free
        model._cov_sing = 0
        pcov = _parameter_covariance(model, params, free, result)
    scale = result._sigma2
    results = MixedLMResults(model, params.get_packed(use_sqrt=False, has_fe=True), pcov / scale)
    results.params_object = params
    results.fe_params = result._solved["beta"]
    results.cov_re = scale * params.cov_re
    results.vcomp = scale * params.vcomp
    results.scale = scale
    results.cov_re_unscaled = params.cov_re
    results.method = "REML" if result.reml else "ML"
    results.converged = result.converged
    results.hist = None
    results.reml = result.reml
    results.cov_pen = None
    results.k_fe, results.k_re, results.k_re2 = model.k_fe, model.k_re, model.k_re2
    results.k_vc, results.use_sqrt, results.freepat = model.k_vc, model.use_sqrt, free
    return MixedLMResultsWrapper(results)


def _vc_spec(profile, structure, VCSpec):
    names = [b.factor if b.terms == ["Intercept"] else f"{b.terms[0]}|{b.factor}"
             for b in structure.vc_blocks]
    colnames, mats = [[] for _ in names], [[] for _ in names]
    for rows, columns in zip(profile.rows, profile.columns):
        for j, block in enumerate(structure.vc_blocks):
            labels = block.labels[rows]
            levels = [level for factor, level, term in columns[profile.k_re:]
                      if (factor, term) == (block.factor, block.terms[0])]
            mats[j].append(np.column_stack([block.values[rows, 0] * (labels == lv)
                                            for lv in levels]) if levels
                           else np.zeros((len(rows), 0)))
            colnames[j].append([str(lv) for lv in levels])
    return VCSpec(names, colnames, mats)


def _free_pattern(profile, structure, MixedLMParams):
    mask = np.zeros((profile.k_re, profile.k_re))
    start = 0
    for block in structure.re_blocks:
        k = len(block.terms)
        mask[start:start + k, start:start + k] = 1
        start += k
    if len(structure.re_blocks) <= 1:
        return None
    return MixedLMParams.from_components(fe_params=np.ones(profile.p), cov_re=mask,
                                         vcomp=np.ones(len(structure.vc_blocks)))


def _parameter_covariance(model, params, free, result):
    """statsmodels' covariance of all parameters, from its Hessian; NaN where it fails."""
    size = model.k_fe + model.k_re2 + model.k_vc
    try:
        hess, _ = model.hessian(params)
        keep = (np.flatnonzero(free.get_packed(use_sqrt=False, has_fe=True)) if free is not None
                else np.arange(size))
        pcov = np.full((size, size), np.nan)
        pcov[np.ix_(keep, keep)] = np.linalg.inv(-hess[np.ix_(keep, keep)])
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        pcov = np.full((size, size), np.nan)
    k = model.k_fe
    pcov[:k, :k] = result._beta_cov
    return pcov


# ---------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------

def compare(*models):
    """Likelihood-ratio tests between nested models, as lme4's ``anova``.

    Models are sorted by their number of parameters and each is tested against
    the one before it.  When the fixed parts differ, REML fits are refitted with
    maximum likelihood first (a warning says so).  When two neighbouring models
    have the same fixed part and the larger adds one variance (with any
    covariances that come with it), that variance sits on the boundary of its
    range under the null, and the p value uses the 50:50 mixture of chi-square
    distributions with Df - 1 and Df degrees of freedom (the note column says
    so); otherwise, including a test of a correlation alone, the ordinary
    chi-square.  AIC and BIC are always computed from maximum-likelihood fits,
    so that they compare across any models (logLik and deviance are REML when
    the note says REML).

    Parameters
    ----------
    *models : FitResult
        Two or more fits of the same outcome to the same rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by formula; columns npar, AIC, BIC, logLik, deviance, Chisq,
        Df, p and note.

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> small = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    >>> large = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> table = mlmcourse.compare(small, large)
    >>> table[["npar", "Df"]]
                                        npar   Df
    model
    Reaction ~ Days + (1 | Subject)        4  NaN
    Reaction ~ Days + (Days | Subject)     6  2.0
    """
    _check_comparable(models)
    same_fixed = len({tuple(m.fixef.index) for m in models}) == 1 and len(
        {m._parsed.fixed for m in models}) == 1
    use_reml = same_fixed and all(m.reml for m in models)
    tested = [m if m.reml == use_reml else _refit(m, reml=use_reml) for m in models]
    if any(m.reml for m in models) and not use_reml:
        reason = ("The fixed parts differ" if not same_fixed else
                  "Some models were fitted with ML and some with REML")
        warnings.warn(f"{reason}, so the REML fits were refitted with maximum likelihood (ML) "
                      "before comparing; REML likelihoods are comparable only between fits of "
                      "one fixed part.", ModelWarning, stacklevel=2)
    ml = [m if not m.reml else _refit(m, reml=False) for m in tested]
    order = sorted(range(len(models)), key=lambda i: (tested[i].npar, i))
    rows = []
    for position, i in enumerate(order):
        model = tested[i]
        row = {"npar": model.npar, "AIC": ml[i].aic, "BIC": ml[i].bic, "logLik": model.llf,
               "deviance": -2 * model.llf, "Chisq": np.nan, "Df": np.nan, "p": np.nan,
               "note": "REML" if use_reml else ""}
        if position > 0:
            row.update(_lr_test(tested[order[position - 1]], model, use_reml))
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([models[i].formula for i in order], name="model"))


def _check_comparable(models):
    if len(models) < 2 or not all(isinstance(m, FitResult) for m in models):
        raise FormulaError("compare() needs two or more results of mlmcourse.fit().")
    responses = {m.response for m in models}
    if len(responses) > 1:
        raise FormulaError("The models have different outcomes ("
                           + ", ".join(sorted(responses)) + "); only models of one outcome "
                           "can be compared.")
    if len({m.nobs for m in models}) > 1 or len({tuple(m.data.index) for m in models}) > 1:
        raise FormulaError("The models were fitted to different rows (numbers of observations "
                           + ", ".join(str(m.nobs) for m in models) + "); drop missing values "
                           "before fitting so that every model uses the same rows.")


def _refit(model, *, reml):
    """The same model with REML or ML, formula names looked up where the user wrote them."""
    return _fit(model.formula, model.data, reml, model._env)[0]


def _n_variances(model):
    return int((model.varcorr["group"] != "Residual").sum())


def _plain(value):
    """A numpy scalar as the Python value it holds (so that messages show 308, not np.int64(308))."""
    return value.item() if isinstance(value, np.generic) else value


def _same_fixed(a, b):
    return tuple(a.fixef.index) == tuple(b.fixef.index) and a._parsed.fixed == b._parsed.fixed


def _lr_test(smaller, larger, use_reml):
    chisq = max(2 * (larger.llf - smaller.llf), 0.0)
    df = larger.npar - smaller.npar
    note = "REML" if use_reml else ""
    if df <= 0:
        return {"Chisq": chisq, "Df": df, "p": np.nan, "note": note}
    if _same_fixed(smaller, larger) and _n_variances(larger) - _n_variances(smaller) == 1:
        # The one added variance is zero under the null, on the edge of its range.
        p = 0.5 * stats.chi2.sf(chisq, df) + (0.5 * stats.chi2.sf(chisq, df - 1) if df > 1
                                                else 0.0)
        mixture = f"boundary: p from 50:50 mixture of chi2({df - 1}) and chi2({df})"
        note = f"{note}; {mixture}" if note else mixture
    else:
        p = stats.chi2.sf(chisq, df)
    return {"Chisq": chisq, "Df": df, "p": p, "note": note}
