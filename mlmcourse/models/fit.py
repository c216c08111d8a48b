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
from mlmcourse.models.formula import parse_formula
from mlmcourse.models.optimize import minimize
from mlmcourse.models.result import FitResult, ModelWarning


def fit(formula, data, *, reml=True, weights=None):
    """Fit a linear mixed model written in lme4's formula language.

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
    reml : bool, default True
        Restricted maximum likelihood (REML) when true, maximum likelihood when
        false; compare fixed parts of models with ML.
    weights : str, optional
        A column of prior weights (lme4's ``weights``): the residual variance of
        row i is sigma^2 / w_i.  Weights must be positive and finite.

    Returns
    -------
    FitResult

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
    result, notes = _fit(formula, data, reml, env, weights)
    if notes:
        warnings.warn(" ".join(notes), ModelWarning, stacklevel=2)
    return result


def _fit(formula, data, reml, env, weights=None):
    """fit() without the warning: the result and the notes for the user."""
    parsed = parse_formula(formula)
    design, notes = build_design(parsed, data, env, weights)
    result = _optimized(parsed, data[design.complete], design, reml, env, weights)
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
    if model.reml == bool(reml):
        return model
    return _optimized(model._parsed, model.data, model._design, reml, model._env,
                      model.weights, theta0=model._theta)
