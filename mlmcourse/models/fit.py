"""``fit``: the four stages in order, as lme4's ``lmer`` runs them.

formula (`formula.py`) -> design (`design.py`) -> deviance (`deviance.py`) -> optimisation
(`optimize.py`) -> result (`result.py`).  ``refit`` reruns the last three on a fitted model's
design, started at its estimates (an ML refit for a likelihood-ratio test costs a fraction of
a fresh fit).
"""
import warnings

import numpy as np
import patsy
from threadpoolctl import threadpool_limits

from mlmcourse.models.deviance import ProfiledDeviance
from mlmcourse.models.design import build_design
from mlmcourse.models.families import FAMILIES
from mlmcourse.models.formula import FormulaError, parse_formula
from mlmcourse.models.glm_result import GLMMResult, check_nagq
from mlmcourse.models.optimize import Scaled, _bfgs, canonical, is_converged, minimize, \
    newton_polish, theta_scales
from mlmcourse.models.result import FitResult, ModelWarning


def fit(formula, data, *, reml=None, weights=None, family="gaussian", nagq=1):
    """Fit a linear or generalized linear mixed model written in lme4's formula language.

    Parameters
    ----------
    formula : str
        The outcome, ``~``, fixed effects in the usual formula language, and one
        or more random terms in parentheses: ``(1 | g)`` random intercepts,
        ``(x | g)`` correlated intercepts and slopes, ``(x || g)`` or
        ``(1 | g) + (0 + x | g)`` uncorrelated ones, ``(1 | a/b)`` groups `b`
        nested in groups `a`, ``(1 | a) + (x | b)`` crossed factors.  An
        ``offset(expr)`` term adds `expr` with coefficient one.
    data : pandas.DataFrame
        One row per observation.  Rows with missing values in the columns the
        formula uses are dropped, and their number said in a warning.
    reml : bool, optional
        For a linear model, restricted maximum likelihood (REML) when true (the
        default), maximum likelihood when false; compare fixed parts of models
        with ML.  A GLMM is always fitted by maximum likelihood.
    weights : str, optional
        A column of prior weights (lme4's ``weights``): the residual variance of
        row i is sigma^2 / w_i.  Weights must be positive and finite.
    family : {"gaussian", "binomial", "poisson"}
        "gaussian" (the default) is the linear mixed model; "binomial" (logit
        link) and "poisson" (log link) fit a generalized linear mixed model as
        lme4's ``glmer`` does (see :class:`~mlmcourse.models.glm_result.GLMMResult`).
        A binomial outcome is 0/1 (or true/false), or written
        ``cbind(successes, failures)``.
    nagq : int, default 1
        For a GLMM: 1 is the Laplace approximation; more is adaptive
        Gauss-Hermite quadrature with that many points, for a model with one
        scalar random term only (as in lme4).

    Returns
    -------
    FitResult or GLMMResult

    Raises
    ------
    FormulaError
        For a malformed formula, a column not in the data, a non-numeric
        outcome, a bad weight, a grouping factor with one level, or too many
        random effects for the data.

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
    family, nagq = check_family(family, nagq, reml, weights)
    if family != "gaussian":  # generalized linear mixed models: glm_result.py and glmm.py
        result, notes = _fit_glmm(formula, data, family, nagq, env)
    else:
        result, notes = _fit(formula, data, True if reml is None else reml, env, weights)
    if notes:
        warnings.warn(" ".join(notes), ModelWarning, stacklevel=2)
    return result


def _fit(formula, data, reml, env, weights=None):
    """fit() without the warning: the result and the notes for the user."""
    parsed = parse_formula(formula)
    design, notes = build_design(parsed, data, env, weights)
    result = _optimized(parsed, data[design.complete], design, reml, env, weights)
    return result, notes + result._problems()


def check_family(family, nagq, reml, weights):
    """Validate family=, nagq=, and the options that do not apply to a GLMM."""
    if not isinstance(family, str) or family.lower() not in FAMILIES:
        raise FormulaError(f"Unknown family {family!r}; the known families are "
                           + ", ".join(repr(f) for f in FAMILIES) + ".")
    family = family.lower()
    if isinstance(nagq, (bool, np.bool_)) or not isinstance(nagq, (int, np.integer)) or nagq < 1:
        raise FormulaError(f"nagq must be a positive whole number (1 for the Laplace "
                           f"approximation, more for Gauss-Hermite quadrature), not {nagq!r}.")
    if family == "gaussian" and nagq != 1:
        raise FormulaError("nagq applies to family='binomial' or 'poisson'; a linear mixed "
                           "model's likelihood is exact.")
    if family != "gaussian" and reml:
        raise FormulaError(f"reml=True does not apply to family={family!r}: REML is defined "
                           "for linear mixed models only, and a GLMM is fitted by maximum "
                           "likelihood (as lme4's glmer does). Leave reml out.")
    if family != "gaussian" and weights is not None:
        raise FormulaError(f"weights= is not supported with family={family!r}; for binomial "
                           "counts write the outcome as 'cbind(successes, failures)'.")
    return family, int(nagq)


def _fit_glmm(formula, data, family, nagq, env):
    """The GLMM stages: parse, design, PIRLS deviance and its optimisation, result."""
    parsed = parse_formula(formula)
    design, notes = build_design(parsed, data, env, family=family)
    check_nagq(design, nagq)
    with threadpool_limits(limits=1, user_api="blas"):
        result = GLMMResult.from_design(parsed, data[design.complete], design, family, nagq, env)
    return result, notes + result._problems()


def _optimized(parsed, data, design, reml, env, weights, theta0=None):
    # The matrices of one evaluation are small: BLAS threads cost more than they give, and
    # with several processes on few cores they can slow a fit down tenfold.
    with threadpool_limits(limits=1, user_api="blas"):
        deviance = ProfiledDeviance(design, bool(reml))
        theta, converged, tried = minimize(deviance, design, theta0)
        return FitResult(parsed, bool(reml), data, design, deviance, theta, converged, tried,
                         env, weights)


def refit(model, *, reml):
    """The same model fitted by REML or ML, on its design, started at its estimates.

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> round(refit(model, reml=False).llf, 2)
    -875.97
    """
    if getattr(model, "family", "gaussian") != "gaussian":  # a GLMM is an ML fit already
        if reml:
            raise FormulaError("A GLMM has no REML fit; it is fitted by maximum likelihood.")
        return model
    if model.reml == bool(reml):
        return model
    return _optimized(model._parsed, model.data, model._design, reml, model._env,
                      model.weights, theta0=model._theta)


def _off_boundary(design, phi, nudge=0.1):
    """`phi` with each zero diagonal entry of a template moved to `nudge`.

    The deviance is even in each diagonal entry of Lambda, so its gradient there is zero: a
    refit started at a singular estimate would stay on the boundary whatever the new outcome.
    """
    diagonal = np.concatenate([f.tril[0] == f.tril[1] for f in design.factors])
    return np.where(diagonal & (np.abs(phi) < 1e-3), nudge, phi)


def _fit_design(model, design):
    """`model` fitted again on `design`: its rows and structure with another outcome vector.

    A linear model's deviance core is reused (``with_response``) and one BFGS run starts at
    its estimates, as lme4's ``refit()`` runs its optimizer once from them; only a run that
    fails the convergence check goes on to the full search of ``minimize``.  A GLMM is
    optimised afresh on the design.  The caller limits BLAS threads.
    """
    if getattr(model, "family", "gaussian") != "gaussian":
        return GLMMResult.from_design(model._parsed, model.data, design, model.family,
                                      model.nagq, model._env)
    deviance = model._deviance.with_response(design)
    scales = theta_scales(design)
    scaled = Scaled(deviance, scales)
    phi = newton_polish(scaled, _bfgs(scaled, _off_boundary(design, model._theta * scales),
                                      gtol=1e-4))
    if len(phi) and is_converged(scaled, phi):
        theta, converged, tried = canonical(design, phi / scales), True, ["BFGS (refit)"]
    else:
        theta, converged, tried = minimize(deviance, design, model._theta)
    return FitResult(model._parsed, model.reml, model.data, design, deviance, theta, converged,
                     tried, model._env, model.weights)
