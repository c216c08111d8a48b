"""The bridge to statsmodels: a ``MixedLMResults`` at the optimum that `fit` found.

Takes a :class:`~mlmcourse.models.result.FitResult`.  statsmodels' MixedLM groups the data by
one outer factor, with correlated random effects of that factor (``exog_re``) and independent
variance components of factors nested in it (``exog_vc``); crossed factors fit only as one
group with random intercepts.  A model outside that family gets a clear error here, and nothing
else on the result depends on this module.
"""
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlmcourse.models.formula import FormulaError


@dataclass
class Structure:
    """The fit as statsmodels sees it: the outer factor's blocks and the variance components."""

    outer: str           # name of the outer grouping factor, or None when crossed
    outer_labels: np.ndarray
    re_blocks: list      # blocks of the outer factor: correlated within, independent between
    vc_blocks: list      # single-term blocks of other factors: statsmodels variance components


def statsmodels_structure(result):
    """The statsmodels structure of `result`, or a FormulaError saying why there is none."""
    if result.weights is not None:
        raise FormulaError("statsmodels' MixedLM has no prior weights, so this weighted fit "
                           "has no .statsmodels counterpart; everything else on the result works.")
    if result._parsed.offsets:
        raise FormulaError("statsmodels' MixedLM has no offset, so this fit has no .statsmodels "
                           "counterpart; everything else on the result works.")
    labels, factors = result._labels, result.group_names
    outer = next((f for f in factors
                  if all(_is_nested(labels[g], labels[f]) for g in factors if g != f)), None)
    for block in result._blocks:
        if block.factor != outer and len(block.terms) > 1:
            raise FormulaError(_refusal(block, outer, factors))
    vc_blocks = [b for b in result._blocks if b.factor != outer]
    if outer is None and any(b.terms != ["Intercept"] for b in vc_blocks):
        sloped = next(b.factor for b in vc_blocks if b.terms != ["Intercept"])
        raise FormulaError(
            f"The grouping factors {' and '.join(repr(f) for f in factors)} are crossed (neither "
            f"is nested in the other) and {sloped!r} has a random slope; statsmodels' MixedLM can "
            "fit crossed factors only with random intercepts, so this fit has no .statsmodels "
            "counterpart; everything else on the result works.")
    outer_labels = labels[outer] if outer else np.zeros(result.nobs, dtype=int)
    re_blocks = [b for b in result._blocks if b.factor == outer]
    return Structure(outer, outer_labels, re_blocks, vc_blocks)


def _is_nested(inner, outer):
    """Whether every level of `inner` sits inside one level of `outer`."""
    return pd.DataFrame({"i": inner, "o": outer}).groupby("i")["o"].nunique().max() == 1


def _refusal(block, outer, factors):
    where = (f"nested in {outer!r}" if outer else
             "crossed with " + " and ".join(repr(f) for f in factors if f != block.factor))
    return (f"The grouping factor {block.factor!r} is {where}, and statsmodels' MixedLM can give "
            f"such a factor only uncorrelated random effects, not the correlated terms "
            f"{', '.join(block.terms)}; so this fit has no .statsmodels counterpart (everything "
            "else on the result works). To have one, write them uncorrelated, as "
            f"'({' + '.join(t for t in block.terms if t != 'Intercept')} || {block.factor})'.")


def _relative_covariances(result, structure):
    """theta as statsmodels parametrises it: cov_re of the outer blocks, relative variances."""
    covs = {id(b): cov / result._sigma2 for b, cov in result._block_covariances()}
    cov_re = (np.block([[covs[id(a)] if a is b else np.zeros((len(a.terms), len(b.terms)))
                         for b in structure.re_blocks] for a in structure.re_blocks])
              if structure.re_blocks else np.zeros((0, 0)))
    vcomp = np.array([covs[id(b)][0, 0] for b in structure.vc_blocks])
    return cov_re, vcomp


def statsmodels_results(result):
    """A statsmodels MixedLM and its results at our optimum (no statsmodels optimisation)."""
    from statsmodels.regression.mixed_linear_model import (MixedLM, MixedLMParams,
                                                           MixedLMResults, MixedLMResultsWrapper,
                                                           VCSpec)
    structure = statsmodels_structure(result)
    exog_re = (pd.DataFrame(np.column_stack([b.values for b in structure.re_blocks]),
                            columns=[t for b in structure.re_blocks for t in b.terms],
                            index=result._X.index) if structure.re_blocks else None)
    vc = _vc_spec(structure, VCSpec)
    cov_re, vcomp = _relative_covariances(result, structure)
    beta = result._beta
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MixedLM(result._y, result._X, structure.outer_labels, exog_re=exog_re,
                        exog_vc=vc)
        params = MixedLMParams.from_components(fe_params=beta, cov_re=cov_re, vcomp=vcomp)
        free = _free_pattern(structure, len(beta), MixedLMParams)
        model.reml, model.cov_pen, model.fe_pen, model._freepat = result.reml, None, None, free
        model._cov_sing = 0
        pcov = _parameter_covariance(model, params, free, result)
    scale = result._sigma2
    results = MixedLMResults(model, params.get_packed(use_sqrt=False, has_fe=True), pcov / scale)
    results.params_object = params
    results.fe_params = beta
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


def _vc_spec(structure, VCSpec):
    names = [b.factor if b.terms == ["Intercept"] else f"{b.terms[0]}|{b.factor}"
             for b in structure.vc_blocks]
    colnames, mats = [[] for _ in names], [[] for _ in names]
    groups = pd.Series(np.arange(len(structure.outer_labels))).groupby(
        structure.outer_labels, sort=True).indices
    for rows in groups.values():
        for j, block in enumerate(structure.vc_blocks):
            labels = block.labels[rows]
            levels = np.unique(labels)
            mats[j].append(np.column_stack([block.values[rows, 0] * (labels == lv)
                                            for lv in levels]))
            colnames[j].append([str(lv) for lv in levels])
    return VCSpec(names, colnames, mats)


def _free_pattern(structure, n_fixed, MixedLMParams):
    if len(structure.re_blocks) <= 1:
        return None
    sizes = [len(b.terms) for b in structure.re_blocks]
    mask = np.zeros((sum(sizes), sum(sizes)))
    start = 0
    for k in sizes:
        mask[start:start + k, start:start + k] = 1
        start += k
    return MixedLMParams.from_components(fe_params=np.ones(n_fixed), cov_re=mask,
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
