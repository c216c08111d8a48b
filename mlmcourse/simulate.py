"""Simulate data from a two-level model with known parameters, and the faculty-salary example.

The model is

    y_ij = (b0 + u0_j) + (b1 + u1_j) * x_ij + e_ij,

for observation i in group j, with (u0_j, u1_j) bivariate normal with mean zero, standard
deviations ``sd_intercept`` and ``sd_slope`` and correlation ``corr``, and e_ij normal with
mean zero and standard deviation ``sd_resid``, independent of the group effects.
"""
from numbers import Integral, Real

import numpy as np
import pandas as pd

_DEFAULT_NAMES = {"group": "group", "x": "x", "y": "y"}

# The faculty-salary example: eight departments of fixed sizes (180 faculty in all).
_DEPARTMENTS = {
    "Biology": 24, "Chemistry": 18, "Economics": 30, "English": 21,
    "History": 15, "Mathematics": 27, "Physics": 19, "Sociology": 26,
}
_SALARY = {  # in US dollars
    "intercept": 60_000.0,   # average starting salary (0 years of experience)
    "slope": 2_000.0,        # average raise per year of experience
    "sd_intercept": 8_000.0, # departments' starting salaries vary by this much
    "sd_slope": 600.0,       # departments' yearly raises vary by this much
    "corr": 0.4,             # departments that start higher also raise faster
    "sd_resid": 5_000.0,     # faculty within a department vary by this much
}
_KINDS = ("both", "intercepts", "slopes")


def simulate(*, n_groups=None, group_size, intercept, slope=0.0, sd_intercept=0.0,
             sd_slope=0.0, corr=0.0, sd_resid=1.0, x=(0.0, 1.0), seed,
             names=None, return_effects=False):
    """Draw data from a two-level model with varying intercepts and slopes.

    The model is ``y = (intercept + u0) + (slope + u1) * x + e``, where each group's
    deviations ``(u0, u1)`` are bivariate normal with standard deviations `sd_intercept`
    and `sd_slope` and correlation `corr`, and the residual ``e`` is normal with standard
    deviation `sd_resid`.

    Parameters
    ----------
    n_groups : int, optional
        Number of groups (at least 1). May be omitted when `group_size` lists the sizes.
    group_size : int or sequence of int
        Observations per group: one number for equal sizes, or one size per group.
    intercept, slope : float
        The fixed effects: average intercept and average slope on `x`.
    sd_intercept, sd_slope : float
        Standard deviations of the groups' intercepts and slopes around the fixed effects.
    corr : float
        Correlation between a group's intercept and slope deviations, in [-1, 1].
    sd_resid : float
        Standard deviation of the residual, within groups.
    x : tuple or sequence
        How the predictor is drawn, independently for every row. A tuple ``(low, high)``
        draws it uniformly on that interval; a list, range or array draws it with equal
        probability from those values (``range(10)`` for whole days 0 to 9, ``[0, 1]``
        for a binary predictor).
    seed : int, numpy.random.Generator or None
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same data.
    names : dict, optional
        New column names, keys among ``"group"``, ``"x"``, ``"y"``,
        e.g. ``{"group": "department", "x": "years", "y": "salary"}``.
    return_effects : bool
        Also return the groups' true effects.

    Returns
    -------
    data : pandas.DataFrame
        One row per observation, columns group, x, y (renamed by `names`), grouped in
        order. Group labels are strings "g1", "g2", ... zero-padded so they sort in order.
    effects : pandas.DataFrame
        Only when `return_effects` is true. One row per group: the group label, its size
        ``n``, its deviations ``u_intercept`` and ``u_slope``, and its true ``intercept``
        and ``slope`` (fixed effect plus deviation).

    Examples
    --------
    >>> import mlmcourse
    >>> data = mlmcourse.simulate(n_groups=3, group_size=4, intercept=10, sd_intercept=2,
    ...                           seed=1)
    >>> data.shape
    (12, 3)
    >>> data, effects = mlmcourse.simulate(group_size=[2, 5], intercept=0, slope=1,
    ...                                    sd_slope=0.5, x=range(10), seed=1,
    ...                                    return_effects=True)
    >>> effects[["group", "n"]].to_dict("list")
    {'group': ['g1', 'g2'], 'n': [2, 5]}
    """
    sizes = _group_sizes(n_groups, group_size)
    _check_parameters(intercept=intercept, slope=slope, sd_intercept=sd_intercept,
                      sd_slope=sd_slope, corr=corr, sd_resid=sd_resid)
    columns = _column_names(names)
    rng = np.random.default_rng(seed)

    labels = _group_labels(len(sizes))
    u0, u1 = _group_deviations(rng, len(sizes), sd_intercept, sd_slope, corr)
    effects = pd.DataFrame({"group": labels, "n": sizes, "u_intercept": u0, "u_slope": u1,
                            "intercept": intercept + u0, "slope": slope + u1})

    rows = np.repeat(np.arange(len(sizes)), sizes)
    x_values = _draw_x(rng, x, rows.size)
    y_values = (effects["intercept"].to_numpy()[rows]
                + effects["slope"].to_numpy()[rows] * x_values
                + rng.normal(0.0, sd_resid, rows.size))
    data = pd.DataFrame({columns["group"]: np.asarray(labels, dtype=object)[rows],
                         columns["x"]: x_values, columns["y"]: y_values})
    if return_effects:
        return data, effects.rename(columns={"group": columns["group"]})
    return data


def faculty_salaries(kind="both", *, seed=2024, return_effects=False):
    """Simulate the course's faculty-salary example.

    Salary (US dollars) = department's starting salary + department's yearly raise x years
    of experience + individual variation, for 180 faculty in eight departments of 15 to
    30 faculty each, with 0 to 30 whole years of experience. On average the starting
    salary is $60,000 and the raise $2,000 a year; departments' starting salaries vary
    with SD $8,000 and their raises with SD $600 a year, correlated 0.4 (departments that
    start higher also raise faster); faculty vary around their department's line with
    SD $5,000. Salaries are rounded to whole dollars.

    Parameters
    ----------
    kind : {"both", "intercepts", "slopes"}
        Which part varies between departments: ``"intercepts"`` only (one common raise),
        ``"slopes"`` only (one common starting salary), or ``"both"``.
    seed : int, numpy.random.Generator or None
        Seed for :func:`numpy.random.default_rng`. With the same seed the three kinds share
        the faculty's years and individual variation, so they differ only in the departments.
    return_effects : bool
        Also return the departments' true starting salaries and raises.

    Returns
    -------
    data : pandas.DataFrame
        Columns ``department`` (str), ``years`` (int), ``salary`` (float, dollars).
    effects : pandas.DataFrame
        Only when `return_effects` is true. The departments' true starting salaries
        (``intercept``) and raises (``slope``), laid out as in :func:`simulate`.

    Examples
    --------
    >>> import mlmcourse
    >>> salaries = mlmcourse.faculty_salaries()
    >>> salaries.columns.tolist()
    ['department', 'years', 'salary']
    >>> salaries, departments = mlmcourse.faculty_salaries("intercepts", seed=1,
    ...                                                    return_effects=True)
    >>> departments["slope"].unique().tolist()
    [2000.0]
    """
    parameters = salary_parameters(kind)
    data, effects = simulate(group_size=list(_DEPARTMENTS.values()), x=range(31), seed=seed,
                             names={"group": "department", "x": "years", "y": "salary"},
                             return_effects=True, **parameters)
    departments = dict(zip(_group_labels(len(_DEPARTMENTS)), _DEPARTMENTS))
    data["department"] = data["department"].map(departments)
    data["salary"] = data["salary"].round()
    effects["department"] = effects["department"].map(departments)
    if return_effects:
        return data, effects
    return data


def salary_parameters(kind="both"):
    """The true parameters that :func:`faculty_salaries` draws from, in US dollars.

    Parameters
    ----------
    kind : {"both", "intercepts", "slopes"}
        As in :func:`faculty_salaries`; the part that does not vary has SD zero.

    Returns
    -------
    dict
        ``intercept`` and ``slope`` (the average starting salary and yearly raise),
        ``sd_intercept`` and ``sd_slope`` (how much departments vary in each), ``corr``
        (their correlation) and ``sd_resid`` (faculty around their department's line).

    Examples
    --------
    >>> import mlmcourse
    >>> truth = mlmcourse.salary_parameters("slopes")
    >>> truth["slope"], truth["sd_intercept"]
    (2000.0, 0.0)
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _KINDS))}, not {kind!r}.")
    parameters = dict(_SALARY)
    if kind == "intercepts":
        parameters["sd_slope"] = 0.0
    elif kind == "slopes":
        parameters["sd_intercept"] = 0.0
    return parameters


def _group_sizes(n_groups, group_size):
    if _is_integer(group_size):
        if n_groups is None:
            raise ValueError("Give n_groups, or give group_size as a list of the group sizes.")
        if not _is_integer(n_groups) or n_groups < 1:
            raise ValueError(f"n_groups must be a whole number of at least 1, not {n_groups!r}.")
        sizes = [group_size] * n_groups
    else:
        try:
            sizes = list(group_size)
        except TypeError:
            raise ValueError("group_size must be a whole number or a list of whole numbers, "
                             f"not {group_size!r}.") from None
        if not sizes:
            raise ValueError("group_size lists no groups; give at least one group size.")
        if n_groups is not None and n_groups != len(sizes):
            raise ValueError(f"n_groups is {n_groups!r} but group_size lists {len(sizes)} "
                             "sizes; give one size per group (or omit n_groups).")
    for size in sizes:
        if not _is_integer(size) or size < 1:
            raise ValueError(f"Every group size must be a whole number of at least 1, "
                             f"not {size!r}.")
    return np.array(sizes, dtype=int)


def _check_parameters(**parameters):
    for name, value in parameters.items():
        if not isinstance(value, Real) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite number, not {value!r}.")
        if name.startswith("sd_") and value < 0:
            raise ValueError(f"{name} is a standard deviation and cannot be negative "
                             f"(got {value!r}).")
    if abs(parameters["corr"]) > 1:
        raise ValueError(f"corr is a correlation and must lie between -1 and 1 "
                         f"(got {parameters['corr']!r}).")


def _column_names(names):
    names = {} if names is None else dict(names)
    unknown = set(names) - set(_DEFAULT_NAMES)
    if unknown:
        raise ValueError(f"names has unknown key(s) {sorted(unknown)}; "
                         "use 'group', 'x' and 'y'.")
    columns = {**_DEFAULT_NAMES, **names}
    if len(set(columns.values())) < 3:
        raise ValueError(f"The column names must differ; got {columns}.")
    return columns


def _group_labels(n_groups):
    width = len(str(n_groups))
    return [f"g{j:0{width}d}" for j in range(1, n_groups + 1)]


def _group_deviations(rng, n_groups, sd_intercept, sd_slope, corr):
    """Bivariate normal deviations, built from two standard normals (works with zero SDs)."""
    z = rng.standard_normal((n_groups, 2))
    u0 = sd_intercept * z[:, 0]
    u1 = sd_slope * (corr * z[:, 0] + np.sqrt(1.0 - corr**2) * z[:, 1])
    return u0, u1


def _draw_x(rng, x, size):
    if isinstance(x, tuple):
        if len(x) != 2 or not all(isinstance(v, Real) and np.isfinite(v) for v in x) \
                or not x[0] < x[1]:
            raise ValueError(f"x as a tuple means (low, high) with low < high, not {x!r}; "
                             "give a list to draw from given values.")
        return rng.uniform(x[0], x[1], size)
    values = np.asarray(list(x) if isinstance(x, range) else x)
    if values.ndim != 1 or values.size == 0 or not np.issubdtype(values.dtype, np.number) \
            or not np.all(np.isfinite(values)):
        raise ValueError(f"x must be a (low, high) tuple or a list of numbers, not {x!r}.")
    return rng.choice(values, size)


def _is_integer(value):
    return isinstance(value, Integral) and not isinstance(value, bool)
