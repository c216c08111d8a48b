"""Complete, no and partial pooling of group estimates, side by side (Gelman & Hill, ch. 12)."""
import warnings
from difflib import get_close_matches

import numpy as np
import pandas as pd

from mlmcourse.models import fit

_OUTPUT_COLUMNS = ("n", "term", "no_pooling", "partial_pooling", "complete_pooling")


def pooling(data, y, x=None, *, group):
    """Estimate each group's intercept (and slope) with no, partial and complete pooling.

    Follows Gelman & Hill's radon example (chapter 12). The three estimates share one
    model for the groups:

    - without `x`, each group's mean: complete pooling is the grand mean, no pooling is
      the group's own mean, partial pooling is the group's intercept from the
      random-intercept model ``y ~ 1 + (1 | group)``;
    - with `x`, each group's line with a slope common to all groups: complete pooling is
      one least-squares line ``y ~ x``; no pooling gives every group its own intercept
      (least squares ``y ~ x + C(group)``, so a group of one row, or whose `x` does not
      vary, still gets an intercept); partial pooling is the random-intercept model
      ``y ~ x + (1 | group)``.

    Partial-pooling estimates are the model's ``.coef`` (fixed effect plus conditional
    mode, see :func:`mlmcourse.fit`). They shrink each group's no-pooling estimate toward
    the model's fixed intercept, which weights groups more equally than the grand mean
    does; so when group sizes differ, a partial-pooling estimate can land a little beyond
    the complete-pooling one. Without `x` and with equal group sizes the two targets
    coincide and every partial-pooling estimate lies between the other two; with `x` the
    no-pooling and partial-pooling intercepts also rest on different slopes, so this need
    not hold.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. Rows missing `y`, `x` or `group` are dropped, and a
        warning says how many.
    y : str
        Name of the numeric outcome column.
    x : str, optional
        Name of a numeric predictor column.
    group : str
        Name of the grouping column; at least two groups.

    Returns
    -------
    pandas.DataFrame
        Long by term, one row per group and term (``"Intercept"``, then `x` when given),
        sorted by term and group. Columns: the group label (named as `group`), ``n``
        (rows used in the group), ``term``, and the estimates ``no_pooling``,
        ``partial_pooling`` and ``complete_pooling``. The slope rows repeat one value
        per pooling column, because the slope is common to all groups.

    Examples
    --------
    >>> import mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> table = mlmcourse.pooling(radon, y="log_radon", x="floor", group="county")
    >>> table.columns.tolist()
    ['county', 'n', 'term', 'no_pooling', 'partial_pooling', 'complete_pooling']
    >>> table["term"].unique().tolist()
    ['Intercept', 'floor']
    """
    data = _clean(data, y, x, group)
    groups = data.groupby(group, sort=True)
    sizes = groups.size()
    if x is None:
        estimates = _means(data, y, group, groups)
    else:
        estimates = _lines(data, y, x, group, groups)
    table = pd.concat(estimates, names=["term", group]).reset_index()
    table.insert(1, "n", table[group].map(sizes).astype(int))
    return table[[group, *_OUTPUT_COLUMNS]]


def _means(data, y, group, groups):
    partial = _partial(f"{y} ~ 1 + (1 | {group})", data, groups)
    intercepts = pd.DataFrame({
        "no_pooling": groups[y].mean(),
        "partial_pooling": partial["Intercept"],
        "complete_pooling": data[y].mean(),
    })
    return {"Intercept": intercepts}


def _lines(data, y, x, group, groups):
    none_intercepts, none_slope = _common_slope_fit(data, y, x, groups)
    complete_intercept, complete_slope = np.polynomial.polynomial.polyfit(
        data[x], data[y], deg=1)
    partial = _partial(f"{y} ~ {x} + (1 | {group})", data, groups)
    intercepts = pd.DataFrame({
        "no_pooling": none_intercepts,
        "partial_pooling": partial["Intercept"],
        "complete_pooling": complete_intercept,
    })
    slopes = pd.DataFrame({
        "no_pooling": none_slope,
        "partial_pooling": partial[x],
        "complete_pooling": complete_slope,
    }, index=intercepts.index)
    return {"Intercept": intercepts, x: slopes}


def _partial(formula, data, groups):
    """The random-intercept model's group lines, indexed like `groups` (fit labels by str)."""
    coef = fit(formula, data).coef
    labels = groups.size().index
    return coef.set_axis(coef.index.map(str)).reindex(labels.map(str)).set_axis(labels)


def _common_slope_fit(data, y, x, groups):
    """Least squares for ``y ~ x + C(group)``: the within-group slope, then each intercept."""
    if (groups[x].nunique() <= 1).all():
        raise ValueError(f"{x!r} does not vary within any group, so the no-pooling slope "
                         "(common to all groups) cannot be told apart from the group "
                         "intercepts; pool a predictor that varies within groups.")
    x_centred = data[x] - groups[x].transform("mean")
    y_centred = data[y] - groups[y].transform("mean")
    slope = (x_centred * y_centred).sum() / (x_centred**2).sum()
    return groups[y].mean() - slope * groups[x].mean(), slope


def _clean(data, y, x, group):
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}.")
    used = [group, y] if x is None else [group, y, x]
    for column in used:
        _check_column(data, column)
    for column in used[1:]:
        if not pd.api.types.is_numeric_dtype(data[column]) \
                or pd.api.types.is_bool_dtype(data[column]):
            raise ValueError(f"Column {column!r} must be numeric to be pooled; "
                             f"it holds {data[column].dtype} values.")
    if group in _OUTPUT_COLUMNS:
        raise ValueError(f"The grouping column cannot be called {group!r}, a name the "
                         "output table uses; rename it first.")
    complete = data[used].dropna()
    dropped = len(data) - len(complete)
    if dropped:
        warnings.warn(f"Dropped {dropped} row(s) with missing values in "
                      f"{', '.join(map(repr, used))}.", UserWarning, stacklevel=3)
    n_groups = complete[group].nunique()
    if n_groups < 2:
        raise ValueError(f"Pooling needs at least two groups in {group!r}; "
                         f"found {n_groups}.")
    return complete


def _check_column(data, column):
    if column not in data.columns:
        close = get_close_matches(str(column), map(str, data.columns), n=3)
        hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"Column {column!r} is not in the data.{hint} "
                         f"Columns: {', '.join(map(str, data.columns))}.")
