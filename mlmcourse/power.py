"""Power of a linear mixed model's t tests by simulation: simulate the design, fit, test, repeat.

Gelman and Hill's recipe (chapter 20) on the fitting core's fast path: outcomes are drawn from
the assumed true model on a fixed design, each is refitted on the design's deviance core (as the
parametric bootstrap's replicates are), and a fixed effect's power is the share of replicates in
which its Satterthwaite t test (the package's default for linear models) rejects at `alpha`.
"""
import copy
import types
import warnings
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlmcourse.models.bootstrap import _draw, _progress, refit_response
from mlmcourse.models.confint import check_count
from mlmcourse.models.fit import fit
from mlmcourse.models.formula import FormulaError, parse_formula

STORED_GRID = Path(__file__).parent / "stored" / "power_grid.csv"


def power_grid():
    """The simulations of the power chapter: each term's power over a grid of designs.

    ``scripts/power_grid.py`` writes them (400 replicates of each of 16 designs, too many fits
    for a chapter to re-run); they ship with the package so that a downloaded chapter runs
    anywhere.

    Returns
    -------
    pandas.DataFrame
        One row per design and term: ``sweep`` (the family of designs), ``groups``,
        ``group_size``, ``term``, ``power`` and ``replicates``.

    Examples
    --------
    >>> grid = power_grid()
    >>> sorted(grid["term"].unique())
    ['w', 'x', 'x:w']
    """
    return pd.read_csv(STORED_GRID)


def power(formula, data, *, fixef, sd, sigma=1.0, terms=None, n=200, alpha=0.05, seed=None,
          progress=None):
    """Power of the t tests of fixed effects, by simulating a design from a true model.

    Each of `n` replicates draws new random effects and a new outcome from the model with the
    true values given here, on the rows of `data`, fits `formula` to it (REML, Satterthwaite's
    df) and records whether each tested effect's p value is below `alpha`.

    Parameters
    ----------
    formula : str
        The model, in lme4's formula language; its outcome column need not be in `data`.
    data : pandas.DataFrame
        The design: the predictors and grouping columns, one row per observation.
    fixef : dict
        True fixed effects by term, named as in ``fit(...).fixef`` (``"Intercept"``, ``"x"``,
        ``"x:w"``); terms left out are zero.
    sd : dict
        True random-effect SDs by grouping factor: a number (the intercept's SD) or a dict by
        term, e.g. ``{"school": {"Intercept": 0.5, "x": 0.2}}``. Random effects of one group are
        drawn uncorrelated; every random term of the formula needs an SD.
    sigma : float
        True residual SD.
    terms : str or list of str, optional
        The fixed effects to test; by default every one but the intercept.
    n : int
        Number of replicates.
    alpha : float
        Significance level of each two-sided test.
    seed : int or numpy.random.Generator, optional
        Seeds the simulation (the same seed gives the same answer).
    progress : bool, optional
        Show a progress bar; by default only in an interactive terminal (never in a notebook).

    Returns
    -------
    pandas.DataFrame
        One row per tested term: its true ``effect``, the ``power`` (share of replicates with
        p < alpha) and ``mc_error``, the Monte Carlo standard error sqrt(p (1 - p) / n).

    Examples
    --------
    >>> import mlmcourse
    >>> import numpy as np, pandas as pd
    >>> design = pd.DataFrame({"school": np.repeat(np.arange(20), 10),
    ...                        "w": np.repeat(np.tile([-0.5, 0.5], 10), 10)})
    >>> mlmcourse.power("y ~ w + (1 | school)", design, fixef={"w": 0.5},
    ...                 sd={"school": 0.5}, n=50, seed=1).round(3)
          effect  power  mc_error
    term
    w        0.5   0.38     0.069
    """
    n = check_count(n)
    if not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise FormulaError(f"alpha must be a number between 0 and 1, not {alpha!r}.")
    if not isinstance(sigma, Real) or not sigma > 0:
        raise FormulaError(f"sigma is the residual SD and must be positive, not {sigma!r}.")
    rng = np.random.default_rng(seed)
    template = _template_fit(formula, data)
    truth = _truth(template, fixef, sd, sigma)
    tested = _tested_terms(template, terms)
    template = _started_at(template, truth)
    rejected = np.zeros(len(tested))
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")  # singular replicates are expected and still tested
        for _ in _progress(range(n), progress, "power"):
            replicate = refit_response(template, _draw(truth, rng))
            rejected += replicate.fixef.loc[tested, "p"].to_numpy() < alpha
    share = rejected / n
    return pd.DataFrame({"effect": [truth.fixef[t] for t in tested], "power": share,
                         "mc_error": np.sqrt(share * (1 - share) / n)},
                        index=pd.Index(tested, name="term"))


def _template_fit(formula, data):
    """The model fitted once to a placeholder outcome: its design and deviance core."""
    if not isinstance(data, pd.DataFrame):
        raise FormulaError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    outcome = parse_formula(formula).response
    rng = np.random.default_rng(0)  # any outcome with spread will do; it is replaced
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(formula, data.assign(**{outcome: rng.standard_normal(len(data))}))


def _started_at(template, truth):
    """`template` with the truth's theta as the refits' starting point.

    Not the template's own estimate: a fit to one outcome can put a variance at zero, where the
    deviance (even in theta) is flat and a gradient method would never leave.  A true SD of zero
    starts at 0.1 (relative to sigma) for the same reason.
    """
    start = copy.copy(template)
    rows, cols = np.concatenate([f.tril[0] for f in template._design.factors]), \
        np.concatenate([f.tril[1] for f in template._design.factors])
    start._theta = np.where(rows == cols, np.maximum(truth._theta, 0.1), truth._theta)
    return start


def _truth(template, fixef, sd, sigma):
    """The true model as `_draw` reads a fit: beta, theta (relative to sigma), sigma."""
    names = list(template._X.columns)
    unknown = set(fixef) - set(names)
    if unknown:
        raise FormulaError(f"fixef names {sorted(unknown)}, not among the model's fixed "
                           f"effects {names}.")
    beta = np.array([float(fixef.get(t, 0.0)) for t in names])
    design = template._design
    pieces = [_theta_piece(factor, sd, sigma) for factor in design.factors]
    unknown = set(sd) - {f.name for f in design.factors}
    if unknown:
        raise FormulaError(f"sd names grouping factor(s) {sorted(unknown)}, not in the formula "
                           f"(its groups: {[f.name for f in design.factors]}).")
    return types.SimpleNamespace(_design=design, _beta=beta, _theta=np.concatenate(pieces),
                                 sigma=float(sigma), fixef=dict(zip(names, beta)))


def _theta_piece(factor, sd, sigma):
    """One factor's theta: its SDs over sigma on the diagonal of the template, zero below."""
    terms = [t for block in factor.blocks for t in block.terms]
    given = sd.get(factor.name)
    if isinstance(given, Real):
        given = {"Intercept": given}
    if not isinstance(given, dict):
        raise FormulaError(f"sd needs the random-effect SDs of group {factor.name!r}, for "
                           f"{terms}, e.g. sd={{{factor.name!r}: {dict.fromkeys(terms, 1.0)}}}.")
    missing, unknown = set(terms) - set(given), set(given) - set(terms)
    if missing or unknown:
        raise FormulaError(f"sd of group {factor.name!r} must give exactly the terms {terms}; "
                           f"missing {sorted(missing)}, unknown {sorted(unknown)}.")
    values = np.array([given[t] for t in terms], float)
    if np.any(~np.isfinite(values) | (values < 0)):
        raise FormulaError(f"The SDs of group {factor.name!r} must be finite and not negative.")
    rows, cols = factor.tril
    return np.where(rows == cols, values[rows] / sigma, 0.0)


def _tested_terms(template, terms):
    names = list(template._X.columns)
    if terms is None:
        return [t for t in names if t != "Intercept"]
    terms = [terms] if isinstance(terms, str) else list(terms)
    unknown = [t for t in terms if t not in names]
    if unknown:
        raise FormulaError(f"terms {unknown} are not fixed effects of the model {names}.")
    return terms


def balanced_design(n_groups, group_size, *, names=None):
    """A balanced two-level design: a level-1 predictor centred in every group, and half the
    groups treated.

    Parameters
    ----------
    n_groups : int
        Number of groups, even (half of them are treated), at least 4.
    group_size : int
        Observations per group, at least 2.
    names : dict, optional
        New column names, keys among ``"group"``, ``"x"`` and ``"w"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (labels ``g01``, ``g02``, ...), ``x`` (the same evenly spaced values in
        every group, mean 0 and SD 1 within each) and ``w`` (-1/2 for the first half of the
        groups, +1/2 for the treated second half).

    Examples
    --------
    >>> import mlmcourse
    >>> design = mlmcourse.balanced_design(4, 3)
    >>> design.groupby("w")["group"].nunique().tolist()
    [2, 2]
    >>> design["x"].round(3).tolist()[:3]
    [-1.225, 0.0, 1.225]
    """
    for name, value, low in (("n_groups", n_groups, 4), ("group_size", group_size, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be a whole number of at least {low}, not {value!r}.")
    if n_groups % 2:
        raise ValueError(f"n_groups must be even, so that half the groups are treated; "
                         f"got {n_groups}.")
    columns = {"group": "group", "x": "x", "w": "w", **(names or {})}
    x = np.linspace(-1.0, 1.0, group_size)
    group = np.repeat(np.arange(n_groups), group_size)
    width = len(str(n_groups))
    return pd.DataFrame({columns["group"]: [f"g{j + 1:0{width}d}" for j in group],
                         columns["x"]: np.tile(x / x.std(), n_groups),
                         columns["w"]: np.where(group < n_groups // 2, -0.5, 0.5)})
