"""Influence of groups: leave one group out, refit, and measure how far the fixed effects move.

A diagnostic after the last stage of a fit.  It takes a fitted :class:`FitResult`, cuts the
rows of one group out of its design (no formula is parsed again, so a refit costs little more
than the optimisation), and reruns `deviance.py` and `optimize.py` from the full fit's
estimates.  Group-level Cook's distance is then computed as HLMdiag's ``cooks.distance`` does
for deleting a group (Loy and Hofmann 2014), with the full fit's covariance of the fixed
effects:

    D_j = (b - b_(j))' [Var(b)]^{-1} (b - b_(j)) / p.
"""
import dataclasses
import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlmcourse.models.deviance import ProfiledDeviance
from mlmcourse.models.design import _factor, check_identifiable, check_rank, levels_and_codes
from mlmcourse.models.formula import FormulaError
from mlmcourse.models.optimize import minimize
from mlmcourse.models.result import FitResult, ModelWarning, _plain


def influence(model, group=None, *, levels=None):
    """Leave each group out in turn: Cook's distance and the change in every fixed effect.

    Each refit uses the same criterion (REML or ML) as `model` and starts at its estimates.

    Parameters
    ----------
    model : mlmcourse.FitResult
        A linear mixed model fitted with :func:`mlmcourse.fit`.
    group : str, optional
        The grouping factor whose levels are left out; the model's first grouping factor
        when omitted.
    levels : sequence, optional
        Only these levels of `group` (all levels when omitted).

    Returns
    -------
    pandas.DataFrame
        One row per level left out, indexed by level: ``rows`` (the rows it had),
        ``cooks_distance`` (:math:`D_j` above, with p the number of fixed effects), and for
        every fixed effect ``change in <term>``, the estimate without the group minus the
        estimate with it, :math:`b_{(j)} - b`.

    Raises
    ------
    TypeError
        For anything but a linear mixed model from :func:`mlmcourse.fit`.
    ValueError
        For a `group` that is not a grouping factor of the model, or `levels` it lacks.
    FormulaError
        When the model cannot be fitted without a group (a fixed-effect column that only
        that group has, a grouping factor left with one level).

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> table = mlmcourse.influence(model)
    >>> table.sort_values("cooks_distance").tail(2).round(3)  # doctest: +NORMALIZE_WHITESPACE
             rows  cooks_distance  change in Intercept  change in Days
    Subject
    335        10           0.129               -0.684           0.785
    309        10           0.149                2.726           0.483
    """
    group = _check_group(model, group)
    labels = model._labels[group]
    chosen = _check_levels(labels, group, levels)
    beta, precision = model._beta, np.linalg.inv(model._beta_cov)
    terms = list(model._X.columns)
    rows, failed = [], []
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads cost more
        refits = [_refit_without(model, labels != level, group, level) for level in chosen]
    for level, (estimate, converged) in zip(chosen, refits):
        if not converged:
            failed.append(level)
        change = estimate - beta
        rows.append({"rows": int((labels == level).sum()),
                     "cooks_distance": float(change @ precision @ change / len(beta)),
                     **{f"change in {t}": c for t, c in zip(terms, change)}})
    if failed:
        warnings.warn(f"influence(): the refit without {group} "
                      + ", ".join(repr(_plain(f)) for f in failed)
                      + " did not pass the convergence check; its row may be inaccurate.",
                      ModelWarning, stacklevel=2)
    return pd.DataFrame(rows, index=pd.Index([_plain(v) for v in chosen], name=group))


def _check_group(model, group):
    if not isinstance(model, FitResult) or getattr(model, "family", "gaussian") != "gaussian":
        raise TypeError("influence() needs a linear mixed model fitted with mlmcourse.fit(), "
                        f"not {type(model).__name__}.")
    if group is None:
        return model.group_names[0]
    if group not in model.group_names:
        raise ValueError(f"influence(): group={group!r} is not a grouping factor of the model; "
                         f"it has {', '.join(map(repr, model.group_names))}.")
    return group


def _check_levels(labels, group, levels):
    known = np.unique(labels)
    if levels is None:
        return known
    wanted = list(levels)
    lookup = {str(k): k for k in known}
    missing = [v for v in wanted if v not in set(known) and str(v) not in lookup]
    if missing:
        raise ValueError(f"influence(): {group!r} has no level "
                         + ", ".join(repr(_plain(m)) for m in missing[:5])
                         + f"; its levels include {', '.join(repr(_plain(k)) for k in known[:5])}.")
    return np.array([v if v in set(known) else lookup[str(v)] for v in wanted], dtype=known.dtype)


def _refit_without(model, keep, group, level):
    """Fixed effects of the model refitted on the rows `keep` from its estimates, and whether
    the refit passed the convergence check."""
    design = model._design
    try:
        smaller = _subset_design(model._parsed, design, keep)
    except FormulaError as error:
        raise FormulaError(f"influence(): the model cannot be fitted without {group} "
                           f"{_plain(level)!r}: {error}") from None
    deviance = ProfiledDeviance(smaller, model.reml)
    theta, converged, _ = minimize(deviance, smaller, _theta_for(design, smaller, model._theta))
    return deviance.factorize(theta)["beta"], converged


def _subset_design(parsed, design, keep):
    """The design restricted to the rows `keep`, checked as a fresh design would be."""
    X = design.X[keep]
    check_rank(X)
    blocks = [dataclasses.replace(b, values=b.values[keep], labels=b.labels[keep])
              for b in design.blocks]
    labels = {name: values[keep] for name, values in design.labels.items()}
    coded = {name: levels_and_codes(values) for name, values in labels.items()}
    check_identifiable(parsed, blocks, {name: levels for name, (levels, _) in coded.items()},
                       int(keep.sum()))
    factors = [_factor(f.name, [b for b in blocks if b.factor == f.name], *coded[f.name])
               for f in design.factors]
    factors.sort(key=lambda f: -f.size)
    complete = design.complete.copy()
    complete[np.flatnonzero(complete)[~keep]] = False
    return dataclasses.replace(
        design, y=design.y[keep], X=X, offset=design.offset[keep],
        weights=design.weights[keep], blocks=blocks, labels=labels, factors=factors,
        used=design.used[keep], complete=complete)


def _theta_for(old, new, theta):
    """The full fit's theta, reordered for the new design's factor order."""
    pieces = dict(zip((f.name for f in old.factors), old.split_theta(theta)))
    return np.concatenate([pieces[f.name] for f in new.factors])
