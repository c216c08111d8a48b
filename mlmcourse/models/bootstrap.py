"""Simulation from a fitted model and the parametric bootstrap (lme4's simulate and bootMer).

Takes a fitted :class:`~mlmcourse.models.result.FitResult` (linear or generalized).
``simulate_responses`` draws new outcomes as lme4's ``simulate()``: new random effects from
their estimated distribution, then new outcomes given them.  ``bootstrap`` is lme4's
``bootMer`` with ``type = "parametric"``: each simulated outcome is refitted and a statistic
of the refit kept.  A linear model's refit reuses its design (only the cross-products with the
new outcome are recomputed, `deviance.py`'s ``with_response``) and starts at its estimates,
so a replicate costs a fraction of a fresh fit.  ``bootstrap_lrt`` is pbkrtest's
``PBmodcomp``, the parametric-bootstrap likelihood-ratio test behind
``compare(..., method="bootstrap")``.

Long runs show a progress bar (tqdm) only when standard error is an interactive terminal, so
stored notebook outputs never contain one.
"""
import dataclasses
import sys

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlmcourse.models.confint import check_count, check_level
from mlmcourse.models.formula import FormulaError


def simulate_responses(model, n=1, seed=None):
    """``n`` new outcome vectors from `model` (see :meth:`FitResult.simulate`)."""
    n = check_count(n)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({f"sim_{i + 1}": _draw(model, rng) for i in range(n)},
                        index=model._X.index)


def _draw(model, rng):
    """One outcome vector: random effects b ~ N(0, Sigma), then y given b."""
    design = model._design
    eta = design.X.to_numpy(float) @ model._beta + design.offset
    scale = model.sigma
    for factor, piece in zip(design.factors, design.split_theta(model._theta)):
        L = factor.template(piece) * scale
        b = rng.standard_normal((len(factor.levels), factor.k)) @ L.T
        eta = eta + np.einsum("ij,ij->i", factor.values, b[factor.codes])
    family = getattr(model, "family", "gaussian")
    if family == "gaussian":
        return eta + rng.standard_normal(len(eta)) * scale / np.sqrt(design.weights)
    mu = model._family.mean(eta)
    if family == "poisson":
        return rng.poisson(mu).astype(float)
    trials = design.trials if design.trials is not None else np.ones(len(mu))
    return rng.binomial(trials.astype(int), mu) / trials


def refit_response(model, y):
    """`model` refitted to the outcome `y` on the same design, started at its estimates."""
    from mlmcourse.models.fit import _fit_design
    design = dataclasses.replace(model._design, y=pd.Series(y, index=model._design.y.index,
                                                            name=model._design.y.name))
    return _fit_design(model, design)


class BootstrapResult:
    """Replicates of a statistic from a parametric bootstrap, with percentile intervals.

    Attributes
    ----------
    estimate : pandas.Series
        The statistic on the original fit.
    replicates : pandas.DataFrame
        One row per replicate, one column per element of the statistic.
    n : int
        Number of replicates.
    """

    def __init__(self, estimate, replicates):
        self.estimate, self.replicates = estimate, replicates
        self.n = len(replicates)

    @property
    def se(self):
        """Bootstrap standard error of each element of the statistic."""
        return self.replicates.std(ddof=1)

    def confint(self, level=0.95):
        """Percentile intervals (lme4's ``confint(method = "boot")``, boot's "perc" type).

        Returns
        -------
        pandas.DataFrame
            Columns ``lower`` and ``upper``, one row per element of the statistic.
        """
        level = check_level(level)
        tail = (1 - level) / 2
        table = self.replicates.quantile([tail, 1 - tail]).T
        table.columns = ["lower", "upper"]
        table.index.name = "parameter"
        return table

    def __repr__(self):
        return (f"Parametric bootstrap: {self.n} replicates\n"
                + pd.DataFrame({"estimate": self.estimate, "se": self.se}).to_string())


def bootstrap(model, statistic, n=1000, seed=None, *, progress=None):
    """Parametric bootstrap of a statistic of a fitted model, as lme4's ``bootMer``.

    Each replicate draws a new outcome from the fitted model (:meth:`FitResult.simulate`),
    refits the model to it (on the same design, started at the estimates) and evaluates
    `statistic` on the refit.

    Parameters
    ----------
    model : FitResult
        A result of :func:`mlmcourse.fit` (linear or generalized).
    statistic : callable
        A function of a fitted model returning a number, a sequence or a pandas Series.
    n : int
        Number of replicates.
    seed : int, optional
        Seeds the random numbers (the same seed gives the same replicates).
    progress : bool, optional
        Show a progress bar; by default only when standard error is an interactive terminal
        (never in a notebook).

    Returns
    -------
    BootstrapResult
        ``.replicates`` (a DataFrame), ``.estimate``, ``.se`` and ``.confint(level)``.

    Examples
    --------
    >>> import mlmcourse
    >>> model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)",
    ...                       mlmcourse.load_dataset("sleepstudy"))
    >>> slope = lambda m: m.fixef.loc["Days", "estimate"]
    >>> boot = mlmcourse.bootstrap(model, slope, n=200, seed=1)
    >>> boot.replicates.shape
    (200, 1)
    >>> boot.confint().round(1)
               lower  upper
    parameter
    statistic    8.8   12.0
    """
    n = check_count(n)
    if not callable(statistic):
        raise FormulaError(f"statistic must be a function of a fitted model, not "
                           f"{type(statistic).__name__}.")
    estimate = _as_series(statistic(model))
    rng = np.random.default_rng(seed)
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads cost more
        for _ in _progress(range(n), progress, "bootstrap"):
            refitted = refit_response(model, _draw(model, rng))
            rows.append(_as_series(statistic(refitted)).to_numpy())
    return BootstrapResult(estimate, pd.DataFrame(rows, columns=estimate.index))


def _as_series(value):
    if isinstance(value, pd.Series):
        return value.astype(float)
    values = np.atleast_1d(np.asarray(value, float))
    index = ["statistic"] if values.size == 1 else [f"statistic_{i + 1}"
                                                   for i in range(values.size)]
    return pd.Series(values.ravel(), index=index)


def _progress(iterable, progress, description):
    """`iterable`, wrapped in a tqdm bar when asked or when stderr is an interactive terminal."""
    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not progress:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:  # the bar is a convenience; the work is the same without it
        return iterable
    return tqdm(iterable, desc=description, leave=False)


_ROUNDING = 1e-6  # likelihood-ratio statistics below this are zero


def bootstrap_lrt(small, large, n=1000, seed=None, progress=None):
    """pbkrtest's PBmodcomp: the likelihood-ratio statistic's null distribution by simulation.

    Both models are refitted with ML (as PBmodcomp does); outcomes are simulated from the
    smaller ML fit, both models refitted to each, and the p value is
    ``(1 + #{replicates > observed}) / (1 + #{replicates > 0})``.

    Returns
    -------
    dict
        ``p`` (the bootstrap p value), ``replicates`` (their number, npos as pbkrtest counts
        them), ``mc_error`` (the Monte Carlo standard error of p, sqrt(p (1 - p) / npos)),
        ``statistics`` (every replicate's statistic) and ``observed``.
    """
    from mlmcourse.models.fit import refit
    n = check_count(n)
    small, large = refit(small, reml=False), refit(large, reml=False)
    observed = 2 * (large.llf - small.llf)
    rng = np.random.default_rng(seed)
    statistics = np.empty(n)
    with threadpool_limits(limits=1, user_api="blas"):
        for i in _progress(range(n), progress, "bootstrap LRT"):
            y = _draw(small, rng)
            statistics[i] = 2 * (refit_response(large, y).llf - refit_response(small, y).llf)
    # A replicate at the boundary (the larger model's extra variance estimated as zero) gives
    # the same fit twice: its statistic is zero up to rounding (|T| ~ 1e-10), not positive.
    positive = statistics[statistics > _ROUNDING]
    p = (1 + np.sum(positive > observed)) / (1 + len(positive))
    return {"p": float(p), "replicates": int(len(positive)),
            "mc_error": float(np.sqrt(p * (1 - p) / max(len(positive), 1))),
            "statistics": statistics, "observed": float(observed)}
