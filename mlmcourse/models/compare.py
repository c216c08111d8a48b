"""Model comparison: likelihood-ratio tests between nested fits, as lme4's ``anova()``.

Takes two or more :class:`~mlmcourse.models.result.FitResult` of one outcome on the same rows;
refits REML fits with maximum likelihood through `fit.py` (reusing their design, started at
their estimates) and returns one table.
"""
import numpy as np
import pandas as pd
from scipy import stats

from mlmcourse.models.formula import FormulaError
from mlmcourse.models.result import FitResult

METHODS = ("lrt", "mixture", "bootstrap")


def compare(*models, method="lrt", n=1000, seed=None):
    """Likelihood-ratio tests between nested models, as lme4's ``anova``.

    Models are sorted by their number of parameters and each is tested against the one before
    it.  Generalized linear mixed models (``family="binomial"`` or ``"poisson"``) are compared
    on their maximum-likelihood (Laplace or quadrature) log-likelihoods; nothing is refitted.

    ``method="lrt"`` (the default) is lme4's ``anova()`` exactly: every REML fit is refitted
    with maximum likelihood (ML) first, and npar, AIC, BIC, logLik, deviance and the
    chi-square test all come from the ML fits; the p value is the plain chi-square one.

    ``method="mixture"`` is the boundary-corrected refinement for testing variances: when all
    models are REML fits of one fixed part, their REML likelihoods are compared (otherwise the
    ML ones), and when the larger of two neighbours adds one variance (with any covariances
    that come with it), that variance is zero under the null, on the edge of its range, and the
    p value uses the 50:50 mixture of chi-square distributions with Df - 1 and Df degrees of
    freedom (asymptotically right; the note column says which test each row used).  AIC and
    BIC are always the ML ones.

    ``method="bootstrap"`` is pbkrtest's ``PBmodcomp``: the table of ``"lrt"`` plus, for each
    model against the one before it, a parametric-bootstrap p value (outcomes simulated from
    the smaller ML fit, both models refitted to each), the number of replicates it counts
    and its Monte Carlo standard error (columns ``p_bootstrap``, ``replicates``,
    ``mc_error``).  Use it when the chi-square reference is in doubt: a variance tested at
    zero, or few groups.

    Parameters
    ----------
    *models : FitResult
        Two or more fits of the same outcome to the same rows.
    method : {"lrt", "mixture", "bootstrap"}
        lme4's test, the boundary-corrected one, or the parametric bootstrap.
    n : int
        Bootstrap replicates (``method="bootstrap"``).
    seed : int, optional
        Seeds the bootstrap's random numbers.

    Returns
    -------
    pandas.DataFrame
        Indexed by formula; columns npar, AIC, BIC, logLik, deviance, Chisq, Df and p (and
        note for ``"mixture"``).

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> small = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    >>> large = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> mlmcourse.compare(small, large)[["npar", "Chisq", "Df"]].round(2)
                                        npar  Chisq   Df
    model
    Reaction ~ Days + (1 | Subject)        4    NaN  NaN
    Reaction ~ Days + (Days | Subject)     6  42.14  2.0
    >>> boot = mlmcourse.compare(small, large, method="bootstrap", n=100, seed=1)
    >>> boot[["p_bootstrap", "replicates", "mc_error"]].round(4)
                                        p_bootstrap  replicates  mc_error
    model
    Reaction ~ Days + (1 | Subject)             NaN         NaN       NaN
    Reaction ~ Days + (Days | Subject)       0.0099       100.0    0.0099
    """
    from mlmcourse.models.fit import refit

    _check_comparable(models)
    if method not in METHODS:
        raise FormulaError(f"compare() knows the methods {', '.join(map(repr, METHODS))}, "
                           f"not {method!r}.")
    ml = [refit(m, reml=False) if m.reml else m for m in models]
    same_fixed = len({(tuple(m.fixef.index), m._parsed.fixed) for m in models}) == 1
    use_reml = method == "mixture" and same_fixed and all(m.reml for m in models)
    tested = models if use_reml else ml
    order = sorted(range(len(models)), key=lambda i: (tested[i].npar, i))
    rows = []
    for position, i in enumerate(order):
        model = tested[i]
        row = {"npar": model.npar, "AIC": ml[i].aic, "BIC": ml[i].bic, "logLik": model.llf,
               "deviance": -2 * model.llf, "Chisq": np.nan, "Df": np.nan, "p": np.nan}
        smaller = tested[order[position - 1]] if position > 0 else None
        if smaller is not None:
            row.update(_lr_test(smaller, model))
            if method == "bootstrap":
                row.update(_bootstrap_test(models[order[position - 1]], models[i], n, seed))
        if method == "mixture":
            row["note"] = _mixture(row, use_reml, smaller is not None
                                   and _adds_one_variance(smaller, model))
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index([models[i].formula for i in order], name="model"))


def _bootstrap_test(smaller, larger, n, seed):
    from mlmcourse.models.bootstrap import bootstrap_lrt
    result = bootstrap_lrt(smaller, larger, n=n, seed=seed)
    return {"p_bootstrap": result["p"], "replicates": result["replicates"],
            "mc_error": result["mc_error"]}


def _check_comparable(models):
    if len(models) < 2 or not all(isinstance(m, FitResult) for m in models):
        raise FormulaError("compare() needs two or more results of mlmcourse.fit().")
    families = {getattr(m, "family", "gaussian") for m in models}
    if len(families) > 1:  # GLMMs: a likelihood-ratio test on the GLMM log-likelihoods
        raise FormulaError("The models have different families (" + ", ".join(sorted(families))
                           + "); only models of one family can be compared.")
    if len({getattr(m, "nagq", 1) for m in models}) > 1:
        raise FormulaError("The GLMMs were fitted with different nagq (Laplace and quadrature "
                           "log-likelihoods differ); fit them with the same nagq to compare.")
    responses = {m.response for m in models}
    if len(responses) > 1:
        raise FormulaError("The models have different outcomes ("
                           + ", ".join(sorted(responses)) + "); only models of one outcome "
                           "can be compared.")
    if len({m.nobs for m in models}) > 1 or len({tuple(m.data.index) for m in models}) > 1:
        raise FormulaError("The models were fitted to different rows (numbers of observations "
                           + ", ".join(str(m.nobs) for m in models) + "); drop missing values "
                           "before fitting so that every model uses the same rows.")


def _n_variances(model):
    return int((model.varcorr["group"] != "Residual").sum())


def _same_fixed(a, b):
    return tuple(a.fixef.index) == tuple(b.fixef.index) and a._parsed.fixed == b._parsed.fixed


def _lr_test(smaller, larger):
    chisq = max(2 * (larger.llf - smaller.llf), 0.0)
    df = larger.npar - smaller.npar
    return {"Chisq": chisq, "Df": df, "p": stats.chi2.sf(chisq, df) if df > 0 else np.nan}


def _adds_one_variance(smaller, larger):
    return (larger.npar > smaller.npar and _same_fixed(smaller, larger)
            and _n_variances(larger) - _n_variances(smaller) == 1)


def _mixture(row, use_reml, boundary):
    """For method="mixture": the note, and the 50:50 mixture's p where one variance is added."""
    note = "REML" if use_reml else "ML"
    if boundary:
        chisq, df = row["Chisq"], int(row["Df"])
        row["p"] = 0.5 * stats.chi2.sf(chisq, df) + (0.5 * stats.chi2.sf(chisq, df - 1)
                                                     if df > 1 else 0.0)
        note += f"; boundary: p from 50:50 mixture of chi2({df - 1}) and chi2({df})"
    return note
