"""Figures that make multilevel models visible, one call each.

Every function follows seaborn's conventions: the data (or a fitted model)
first, columns named by strings, options keyword-only, ``ax=`` where one
panel is drawn, and the Axes (one panel) or Figure (several) returned.
Nothing global is changed: the course look (Okabe-Ito colours, font sizes
readable at the book's 7-inch text width) applies only while a figure is built.
Figures carry no titles; chapters put captions in the cell metadata.

Examples
--------
>>> import mlmcourse
>>> sleep = mlmcourse.load_dataset("sleepstudy")
>>> ax = mlmcourse.plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject")
>>> len(ax.lines)
18
"""
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter, StrMethodFormatter
from scipy import stats

from mlmcourse import _style
from mlmcourse.models import FitResult, fit
from mlmcourse.pooling import pooling as pooled_estimates

__all__ = ["lines", "spaghetti", "lattice", "pooling", "shrinkage",
           "caterpillar", "diagnostics", "variance_partition", "covariance_heatmaps",
           "within_between", "predicted_lines", "membership", "ranef_qq", "ranef_against",
           "influence", "variance_function", "marginal_curves"]

_KINDS = {
    "intercepts": "varying intercepts",
    "slopes": "varying slopes",
    "both": "varying both",
}


# ---------------------------------------------------------------------------
# lines


def lines(data=None, *, x, y=None, group=None, kind=None, model=None,
          points=True, ax=None):
    """Draw one straight line per group: varying intercepts, slopes or both.

    From data, each kind is its own least-squares fit: ``"intercepts"`` gives
    every group its own intercept and one shared slope, ``"slopes"`` one shared
    intercept and a slope per group, ``"both"`` a separate regression per group.
    From a fitted model, the lines are the model's group coefficients
    (``model.coef``: fixed effect plus conditional mode, lme4's ``coef()``).

    Parameters
    ----------
    data : pandas.DataFrame or sequence of DataFrames, optional
        One row per observation. With a list of kinds, either one data set for
        all panels or one per kind. Defaults to ``model.data`` when a model is given.
    x, y, group : str
        Names of the predictor, outcome and grouping columns. With a model,
        `y` defaults to its response and `group` to its first grouping factor.
    kind : {"intercepts", "slopes", "both"} or list of them, optional
        What varies between groups (default ``"both"``). A list draws one panel
        per kind, side by side with a shared y axis, and returns the Figure.
        Not allowed with `model`, whose formula already says what varies.
    model : mlmcourse.FitResult, optional
        A fitted model whose only fixed effects are an intercept and `x`.
    points : bool, default True
        Also draw the observations, coloured like their group's line.
    ax : matplotlib.axes.Axes, optional
        Where to draw (one kind only); a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes or matplotlib.figure.Figure
        The Axes for one kind, the Figure for a list of kinds.

    Notes
    -----
    Up to eight groups get their own colour and a legend entry; more groups
    are drawn in one colour without a legend. Each line spans the x range of
    the data.

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> few = sleep[sleep["Subject"].isin(["308", "309", "310"])]
    >>> fig = mlmcourse.plot.lines(few, x="Days", y="Reaction", group="Subject",
    ...                            kind=["intercepts", "slopes", "both"])
    >>> len(fig.axes), [len(ax.lines) for ax in fig.axes]
    (3, [3, 3, 3])
    """
    if model is not None:
        return _lines_from_model(data, x=x, y=y, group=group, kind=kind,
                                 model=model, points=points, ax=ax)
    if kind is None:
        kind = "both"
    if isinstance(kind, str):
        _check_kind(kind)
        frame = _lines_data(data, x, y, group)
        with _style.figure_context():
            ax = _style.new_axes(ax, (4.5, 3.2))
            coefs = _fit_lines(frame, x, y, group, kind)
            _draw_lines(ax, frame, x, y, group, coefs, points)
            _legend_if_few(ax, group, len(coefs))
        return ax
    return _lines_panels(data, x=x, y=y, group=group, kinds=list(kind), points=points, ax=ax)


def _check_kind(kind):
    if kind not in _KINDS:
        raise ValueError(f"kind={kind!r} is not one of {', '.join(map(repr, _KINDS))}.")


def _lines_data(data, x, y, group):
    _style.check_dataframe(data, "lines")
    _style.check_columns(data, {"x": x, "y": y, "group": group}, numeric=("x", "y"))
    return _style.complete_rows(data, [x, y, group], "lines")


def _lines_panels(data, *, x, y, group, kinds, points, ax):
    if ax is not None:
        raise ValueError("lines() draws one panel per kind; ax= works only with a single kind.")
    if not kinds:
        raise ValueError("kind is an empty list; give at least one of "
                         f"{', '.join(map(repr, _KINDS))}.")
    for kind in kinds:
        _check_kind(kind)
    datasets = _one_data_per_kind(data, len(kinds))
    frames = [_lines_data(d, x, y, group) for d in datasets]
    with _style.figure_context():
        fig, axes = plt.subplots(1, len(kinds), sharey=True, squeeze=False,
                                 figsize=(_style.TEXT_WIDTH, 2.8), layout="constrained")
        for ax, frame, kind in zip(axes.ravel(), frames, kinds):
            _draw_lines(ax, frame, x, y, group, _fit_lines(frame, x, y, group, kind), points)
            ax.set_title(_KINDS[kind])
        for ax in axes.ravel()[1:]:
            ax.set_ylabel("")
        _figure_legend_if_few(fig, axes.ravel()[-1], group, len(axes.ravel()[-1].lines))
    return fig


def _one_data_per_kind(data, n_kinds):
    if isinstance(data, pd.DataFrame) or data is None:
        return [data] * n_kinds
    datasets = list(data)
    if len(datasets) != n_kinds:
        raise ValueError(f"lines() got {len(datasets)} data sets for {n_kinds} kinds; "
                         "give one data set, or one per kind.")
    return datasets


def _fit_lines(frame, x, y, group, kind):
    """Least-squares intercept and slope per group for one kind of variation."""
    levels = _style.check_levels(frame, group, None, "lines")
    dummies = (frame[group].to_numpy()[:, None] == np.array(levels, dtype=object)[None, :])
    dummies = dummies.astype(float)
    xs = frame[x].to_numpy(float)[:, None]
    ones = np.ones_like(xs)
    design = {"intercepts": [dummies, xs], "slopes": [ones, dummies * xs],
              "both": [dummies, dummies * xs]}[kind]
    design = np.hstack(design)
    coef, _, rank, _ = np.linalg.lstsq(design, frame[y].to_numpy(float), rcond=None)
    if rank < design.shape[1]:
        flat = [lv for lv in levels if frame.loc[frame[group] == lv, x].nunique() < 2]
        which = f" ({group} {', '.join(map(repr, flat[:5]))})" if flat else ""
        raise ValueError(f"lines(kind={kind!r}) cannot estimate every line: x={x!r} does "
                         f"not vary within some groups{which}.")
    k = len(levels)
    intercepts = {"intercepts": coef[:k], "slopes": np.repeat(coef[0], k),
                  "both": coef[:k]}[kind]
    slopes = {"intercepts": np.repeat(coef[k], k), "slopes": coef[1:],
              "both": coef[k:]}[kind]
    return pd.DataFrame({"intercept": intercepts, "slope": slopes}, index=pd.Index(levels))


def _draw_lines(ax, frame, x, y, group, coefs, points):
    colours = _style.group_colours(list(coefs.index))
    many = len(coefs) > _style.MAX_COLOURED_GROUPS
    grid = np.linspace(frame[x].min(), frame[x].max(), 2)
    for level, row in coefs.iterrows():
        colour = colours[level]
        if points:
            rows = frame[frame[group] == level]
            ax.scatter(rows[x], rows[y], s=8 if many else 10, linewidths=0,
                       color=_style.POINT_COLOUR if many else colour,
                       alpha=0.2 if many else 0.45)
        ax.plot(grid, row["intercept"] + row["slope"] * grid, color=colour,
                lw=0.8 if many else 1.8, alpha=0.5 if many else 1.0, label=str(level))
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    _thousands(ax.yaxis, frame[y])


def _thousands(axis, values):
    """Write large tick values with thousands separators (60,000 rather than 60000)."""
    if np.nanmax(np.abs(values)) >= 10_000:
        axis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _legend_if_few(ax, group, count):
    if count <= _style.MAX_COLOURED_GROUPS:
        ax.legend(title=group, loc="best")


def _figure_legend_if_few(fig, ax, group, count):
    if count <= _style.MAX_COLOURED_GROUPS:
        fig.legend(*ax.get_legend_handles_labels(), title=group, loc="outside right center")


def _lines_from_model(data, *, x, y, group, kind, model, points, ax):
    result = _check_model(model, "lines")
    if kind is not None:
        raise ValueError("lines(): give kind= or model=, not both; the model's formula "
                         "already says what varies between groups.")
    first = result.group_names[0]
    if group is not None and group != first:
        raise ValueError(f"lines(): model.coef holds one row per level of {first!r}, "
                         f"so group must be {first!r} (or omitted), not {group!r}.")
    group = first
    y = result.response if y is None else y
    coef = result.coef
    if x not in coef.columns:
        raise ValueError(f"lines(): x={x!r} is not a fixed effect of the model; its "
                         f"terms are {', '.join(map(repr, coef.columns))}.")
    others = [t for t in coef.columns if t not in ("Intercept", x)]
    if others or "Intercept" not in coef.columns:
        raise ValueError("lines() draws intercept + slope * x, so the model may have only "
                         f"an intercept and {x!r} as fixed effects; it also has "
                         f"{', '.join(map(repr, others)) or 'no intercept'}.")
    frame = _lines_data(result.data if data is None else data, x, y, group)
    coefs = pd.DataFrame({"intercept": coef["Intercept"], "slope": coef[x]})
    coefs.index = coefs.index.map(_match_level(frame[group]))
    with _style.figure_context():
        ax = _style.new_axes(ax, (4.5, 3.2))
        _draw_lines(ax, frame, x, y, group, coefs, points)
        _legend_if_few(ax, group, len(coefs))
    return ax


def _match_level(values):
    """Map coef's index labels back onto the data's level values (e.g. 308 -> "308")."""
    lookup = {str(v): v for v in pd.unique(values)}
    return lambda label: lookup.get(str(label), label)


# ---------------------------------------------------------------------------
# spaghetti and lattice


def spaghetti(data, *, x, y, group, overall=False, ax=None):
    """Draw repeated measures as one line per subject (a spaghetti plot).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per measurement.
    x, y, group : str
        Names of the time (or other within-subject) column, the outcome and the
        subject column.
    overall : bool, default False
        Also draw the complete-pooling least-squares line (black, dashed).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> ax = mlmcourse.plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject",
    ...                               overall=True)
    >>> len(ax.lines), ax.get_xlabel()
    (19, 'Days')
    """
    _style.check_dataframe(data, "spaghetti")
    _style.check_columns(data, {"x": x, "y": y, "group": group}, numeric=("x", "y"))
    frame = _style.complete_rows(data, [x, y, group], "spaghetti")
    levels = _style.check_levels(frame, group, None, "spaghetti")
    colours = _style.group_colours(levels)
    many = len(levels) > _style.MAX_COLOURED_GROUPS
    with _style.figure_context():
        ax = _style.new_axes(ax, (4.5, 3.2))
        for level, rows in frame.groupby(group, sort=False):
            rows = rows.sort_values(x)
            ax.plot(rows[x], rows[y], color=colours[level], lw=1.0,
                    alpha=0.55 if many else 0.9, marker="o", ms=2.5, label=str(level))
        if overall:
            slope, intercept = np.polyfit(frame[x], frame[y], 1)
            grid = np.array([frame[x].min(), frame[x].max()])
            ax.plot(grid, intercept + slope * grid, color=_style.COMPLETE_COLOUR, lw=2.2,
                    ls="--", label="all subjects", zorder=3)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        if not many:
            ax.legend(title=group, loc="best")
    return ax


def lattice(data, *, x, y, group, groups=None, col_wrap=None, max_panels=36,
            line=True, model=None):
    """Draw one small panel per group with its points and its own regression line.

    With a fitted `model`, each panel also shows the model's fitted trajectory for
    that group (fixed part plus the group's conditional modes, at the group's own
    x values): a growth-curve lattice that sets each group's own least-squares
    line (no pooling) beside the multilevel model's (partial pooling).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    x, y, group : str
        Names of the predictor, outcome and grouping columns.
    groups : list, optional
        Which groups to draw, in panel order; all groups (sorted) when omitted.
    col_wrap : int, optional
        Panels per row; chosen to fit the text width when omitted.
    max_panels : int, default 36
        More groups than this is an error: panels would be too small to read.
    line : bool, default True
        Draw each group's own least-squares line over the range of its own
        x values (needs at least two distinct x values in every group drawn).
    model : mlmcourse.FitResult, optional
        A model fitted to these data with `group` as a grouping factor; its
        predictions (``model.predict`` on each group's rows) are joined by a line
        in each panel, in the partial-pooling colour, and the least-squares lines
        switch to the no-pooling colour. A legend above the panels says which is which.

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per group, sharing both axes.

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> fig = mlmcourse.plot.lattice(sleep, x="Days", y="Reaction", group="Subject")
    >>> len(fig.axes)
    18
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> fig = mlmcourse.plot.lattice(sleep, x="Days", y="Reaction", group="Subject",
    ...                              groups=["308", "309"], model=model)
    >>> [len(ax.lines) for ax in fig.axes]
    [2, 2]
    """
    _style.check_dataframe(data, "lattice")
    _style.check_columns(data, {"x": x, "y": y, "group": group}, numeric=("x", "y"))
    frame = _style.complete_rows(data, [x, y, group], "lattice")
    levels = _style.check_levels(frame, group, groups, "lattice")
    _check_panel_count(levels, group, max_panels, "lattice",
                       "or draw them all in one panel with spaghetti()")
    frame = frame[frame[group].isin(levels)]
    coefs = _fit_lines(frame, x, y, group, "both") if line else None
    predicted = _lattice_predictions(model, frame, group) if model is not None else None
    ncols = col_wrap or min(len(levels), 6)
    nrows = -(-len(levels) // ncols)
    own = dict(color=_style.NO_POOL_COLOUR if model is not None else _style.PARTIAL_COLOUR,
               lw=1.6, label="own least-squares line")
    with _style.figure_context():
        fig, axes = plt.subplots(
            nrows, ncols, sharex=True, sharey=True, squeeze=False, layout="constrained",
            figsize=(_style.TEXT_WIDTH, 0.5 + 1.35 * nrows * min(1.0, 6 / ncols)
                     + (0.3 if model is not None else 0)))
        for ax, level in zip(axes.ravel(), levels):
            rows = frame[frame[group] == level].sort_values(x, kind="stable")
            ax.scatter(rows[x], rows[y], s=9, color=_style.POINT_COLOUR, linewidths=0)
            if line:
                a, b = coefs.loc[level]
                grid = np.array([rows[x].min(), rows[x].max()])
                ax.plot(grid, a + b * grid, **own)
            if predicted is not None:
                ax.plot(rows[x], predicted.loc[rows.index], color=_style.PARTIAL_COLOUR,
                        lw=1.6, ls="--" if line else "-", label="multilevel model")
            ax.set_title(str(level), pad=2)
            ax.tick_params(labelsize=8)
        for ax in axes.ravel()[len(levels):]:
            ax.remove()
        fig.supxlabel(x, fontsize=10)
        fig.supylabel(y, fontsize=10)
        if model is not None:
            fig.legend(*axes.ravel()[0].get_legend_handles_labels(), loc="outside upper center",
                       ncols=2)
    return fig


def _lattice_predictions(model, frame, group):
    """The model's predictions (with the groups' conditional modes) for the rows drawn."""
    result = _check_model(model, "lattice")
    if group not in result.group_names:
        raise ValueError(f"lattice(): group={group!r} is not a grouping factor of the model; "
                         f"it has {', '.join(map(repr, result.group_names))}.")
    return result.predict(frame)


def _check_panel_count(levels, group, max_panels, function, alternative):
    if len(levels) > max_panels:
        raise ValueError(f"{function}() draws one panel per group, and {len(levels)} groups "
                         f"of {group!r} are more than max_panels={max_panels}. Choose "
                         f"some with groups=[...], {alternative}.")


# ---------------------------------------------------------------------------
# model checks shared by the model-based figures


def _check_model(model, function):
    if not isinstance(model, FitResult):
        raise TypeError(f"{function}() needs a fitted model from mlmcourse.fit(), "
                        f"not {type(model).__name__}.")
    return model


# ---------------------------------------------------------------------------
# pooling and shrinkage

_POOLING_STYLE = {
    "complete_pooling": dict(color=_style.COMPLETE_COLOUR, ls="--", lw=1.3,
                             label="complete pooling"),
    "no_pooling": dict(color=_style.NO_POOL_COLOUR, ls="-", lw=1.6, label="no pooling"),
    "partial_pooling": dict(color=_style.PARTIAL_COLOUR, ls="-", lw=2.0,
                            label="partial pooling"),
}


def pooling(data, *, y, x, group, groups=None, col_wrap=4, max_panels=36, jitter=True):
    """Draw complete-, no- and partial-pooling lines for chosen groups, one panel each.

    Gelman & Hill's radon counties figure (fig. 12.4): each panel shows one
    group's observations with three lines from :func:`mlmcourse.pooling` --
    one line for all data (complete pooling, dashed), the group's own intercept
    (no pooling) and the multilevel model's estimate (partial pooling), which is
    pulled from the group's own line toward the model's average line, less so the
    more data the group has.
    Panel labels give the group sizes.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    y, x, group : str
        Names of the outcome, predictor and grouping columns.
    groups : list, optional
        The groups to draw, in panel order. When omitted, eight groups spread
        evenly over the range of group sizes, smallest first.
    col_wrap : int, default 4
        Panels per row.
    max_panels : int, default 36
        Choosing more groups than this is an error: panels would be too small.
    jitter : bool, default True
        Spread points sideways a little where `x` takes few values (e.g. 0/1),
        so that they do not hide each other. Seeded: the same figure every time.

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    mlmcourse.pooling : the estimates drawn here.
    shrinkage : the same estimates for every group at once.

    Examples
    --------
    >>> import mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> fig = mlmcourse.plot.pooling(radon, y="log_radon", x="floor", group="county",
    ...                              groups=["Lac Qui Parle", "Aitkin", "Stearns"])
    >>> [ax.get_title() for ax in fig.axes]
    ['Lac Qui Parle (n = 2)', 'Aitkin (n = 4)', 'Stearns (n = 25)']
    """
    _style.check_dataframe(data, "pooling")
    _style.check_columns(data, {"y": y, "x": x, "group": group}, numeric=("y", "x"))
    frame = _style.complete_rows(data, [y, x, group], "pooling").reset_index(drop=True)
    table = _pooling_table(frame, y=y, x=x, group=group)
    intercepts = table[table["term"] == "Intercept"].set_index(group)
    slopes = table[table["term"] == x].set_index(group)
    levels = (_style.check_levels(frame, group, groups, "pooling") if groups is not None
              else _spread_by_size(intercepts["n"]))
    _check_panel_count(levels, group, max_panels, "pooling",
                       "or see every group at once with shrinkage()")
    ncols = min(col_wrap, len(levels))
    nrows = -(-len(levels) // ncols)
    grid = np.linspace(frame[x].min(), frame[x].max(), 2)
    offsets = _jitter(frame[x], jitter)
    with _style.figure_context():
        fig, axes = plt.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False,
                                 layout="constrained",
                                 figsize=(_style.TEXT_WIDTH, 0.6 + 1.75 * nrows))
        for ax, level in zip(axes.ravel(), levels):
            rows = frame[frame[group] == level]
            ax.scatter(rows[x] + offsets[rows.index], rows[y], s=10,
                       color=_style.POINT_COLOUR, alpha=0.7, linewidths=0)
            for column, style in _POOLING_STYLE.items():
                a, b = intercepts.at[level, column], slopes.at[level, column]
                ax.plot(grid, a + b * grid, **style)
            ax.set_title(f"{level} (n = {intercepts.at[level, 'n']})", pad=2)
        for ax in axes.ravel()[len(levels):]:
            ax.remove()
        distinct = np.unique(frame[x])
        if len(distinct) <= 5:
            axes[0, 0].set_xticks(distinct)
        fig.supxlabel(x, fontsize=10)
        fig.supylabel(y, fontsize=10)
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center",
                   ncols=3)
    return fig


def _pooling_table(frame, *, y, x, group):
    return pooled_estimates(frame, y=y, x=x, group=group)


def _overall_intercept(frame, *, y, x, group):
    """The fixed intercept of the partial-pooling model: where the estimates are pulled."""
    predictors = "1" if x is None else x
    return float(fit(f"{y} ~ {predictors} + (1 | {group})", frame).fixef.at["Intercept",
                                                                        "estimate"])


def _spread_by_size(sizes, count=8):
    """``count`` groups at evenly spaced ranks of group size (ties broken by name)."""
    ranked = sorted(sizes.index, key=lambda level: (sizes[level], str(level)))
    if len(ranked) <= count:
        return ranked
    picks = np.linspace(0, len(ranked) - 1, count).round().astype(int)
    return [ranked[i] for i in picks]


def _jitter(values, jitter):
    """Seeded sideways offsets for a predictor with few distinct values, else zeros."""
    values = values.astype(float)
    distinct = np.unique(values)
    if not jitter or len(distinct) > 10 or len(distinct) < 2:
        return pd.Series(0.0, index=values.index)
    width = 0.08 * np.min(np.diff(distinct))
    rng = np.random.default_rng(0)
    return pd.Series(rng.uniform(-width, width, len(values)), index=values.index)


def shrinkage(data, *, y, group, x=None, jitter=True, ax=None):
    """Plot no-pooling against partial-pooling group estimates, by group size.

    Each group's own estimate (open circle) has an arrow to its partial-pooling
    estimate (filled circle): the pull toward the model's overall mean (dashed
    line: the fixed intercept of the multilevel model) is strongest for small
    groups. Estimates come from :func:`mlmcourse.pooling`:
    group means when `x` is omitted, else group intercepts (at ``x = 0``) with a
    slope shared by all groups.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    y, group : str
        Names of the outcome and grouping columns.
    x : str, optional
        Name of a predictor to adjust for.
    jitter : bool, default True
        Spread groups of equal size sideways a little (seeded, so the figure
        is the same every time).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> radon = mlmcourse.load_dataset("radon")
    >>> ax = mlmcourse.plot.shrinkage(radon, y="log_radon", group="county")
    >>> len(ax.texts)  # one arrow (an annotation) per county
    85
    """
    _style.check_dataframe(data, "shrinkage")
    columns = {"y": y, "group": group} if x is None else {"y": y, "group": group, "x": x}
    _style.check_columns(data, columns, numeric=tuple(r for r in columns if r != "group"))
    frame = _style.complete_rows(data, list(columns.values()), "shrinkage")
    table = _pooling_table(frame, y=y, x=x, group=group)
    table = table[table["term"] == "Intercept"]
    sizes = table["n"].to_numpy(float) * _size_jitter(len(table), jitter)
    with _style.figure_context():
        ax = _style.new_axes(ax, (_style.TEXT_WIDTH * 0.75, 3.4))
        ax.axhline(_overall_intercept(frame, y=y, x=x, group=group),
                   color=_style.COMPLETE_COLOUR, ls="--", lw=1.2,
                   label="overall mean (model)", zorder=1)
        _shrinkage_arrows(ax, sizes, table["no_pooling"], table["partial_pooling"])
        ax.scatter(sizes, table["no_pooling"], s=22, facecolors="white",
                   edgecolors=_style.NO_POOL_COLOUR, linewidths=1.3, label="no pooling",
                   zorder=3)
        ax.scatter(sizes, table["partial_pooling"], s=18, color=_style.PARTIAL_COLOUR,
                   label="partial pooling", zorder=4)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(_plain_numbers())
        ax.set_xlabel(f"rows per {group} (log scale)")
        ax.set_ylabel(y if x is None else f"{y} intercept ({x} = 0)")
        ax.legend(loc="best")
    return ax


def _shrinkage_arrows(ax, sizes, start, end):
    """One arrow per group, from its no-pooling to its partial-pooling estimate."""
    for size, a, b in zip(sizes, start, end):
        ax.annotate("", xy=(size, b), xytext=(size, a), zorder=2,
                    arrowprops=dict(arrowstyle="-|>", mutation_scale=7, color="#9A9A9A",
                                    lw=0.8, shrinkA=2.5, shrinkB=2.5))


def _size_jitter(count, jitter):
    if not jitter:
        return np.ones(count)
    return np.exp(np.random.default_rng(0).uniform(-0.12, 0.12, count))


def _plain_numbers():
    return FuncFormatter(lambda value, _: f"{value:g}")


# ---------------------------------------------------------------------------
# model-based figures

_MAX_LABELLED_LEVELS = 40


def caterpillar(model, *, group=None):
    """Plot each group's conditional modes with 95% intervals, sorted (a caterpillar plot).

    One panel per random term (``Intercept``, then any slopes) of each grouping
    factor. Intervals are the conditional mode plus and minus 1.96 conditional
    standard errors. Levels are sorted by their first term, so a level sits in
    the same row across one factor's panels (lme4's ``dotplot(ranef(m))``).

    Parameters
    ----------
    model : mlmcourse.FitResult
        A model fitted with :func:`mlmcourse.fit`.
    group : str, optional
        Draw only this grouping factor (e.g. ``"batch"``); all when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> fig = mlmcourse.plot.caterpillar(model)
    >>> [ax.get_title() for ax in fig.axes]
    ['Subject: Intercept', 'Subject: Days']
    """
    result = _check_model(model, "caterpillar")
    ranef = _ranef_of(result, group, "caterpillar")
    panels = list(ranef.groupby(["group", "term"], sort=False).groups)
    most = ranef.groupby("group")["level"].nunique().max()
    height = min(8.5, max(2.4, 0.5 + 0.14 * most)) if most <= _MAX_LABELLED_LEVELS else 4.0
    with _style.figure_context():
        fig, axes = plt.subplots(1, len(panels), squeeze=False, layout="constrained",
                                 figsize=(min(_style.TEXT_WIDTH, 1.2 + 2.6 * len(panels)),
                                          height))
        first_panel = {}
        for ax, (factor, term) in zip(axes.ravel(), panels):
            order = _level_order(ranef, factor)
            rows = ranef[(ranef["group"] == factor) & (ranef["term"] == term)]
            rows = rows.set_index("level").loc[order]
            _draw_caterpillar(ax, rows, factor, term, labelled=factor not in first_panel)
            first_panel.setdefault(factor, ax)
    return fig


def _ranef_of(result, group, function):
    ranef = result.ranef
    if group is not None:
        if group not in result.group_names:
            raise ValueError(f"{function}(): group={group!r} is not a grouping factor of "
                             f"the model; it has {', '.join(map(repr, result.group_names))}.")
        ranef = ranef[ranef["group"] == group]
    return ranef


def _level_order(ranef, factor):
    """A factor's levels sorted by the conditional mode of its first term."""
    rows = ranef[ranef["group"] == factor]
    first = rows[rows["term"] == rows["term"].iloc[0]]
    return list(first.sort_values("estimate", kind="stable")["level"])


def _draw_caterpillar(ax, rows, factor, term, *, labelled):
    position = np.arange(len(rows))
    half = 1.96 * rows["se"].to_numpy(float)
    estimate = rows["estimate"].to_numpy(float)
    ax.axvline(0, color=_style.COMPLETE_COLOUR, lw=0.8, ls="--", zorder=1)
    ax.hlines(position, estimate - half, estimate + half, color=_style.PARTIAL_COLOUR,
              lw=1.0, alpha=0.8, zorder=2)
    ax.plot(estimate, position, "o", color=_style.PARTIAL_COLOUR, ms=3, zorder=3)
    ax.set_ylim(-1, len(rows))
    ax.set_title(f"{factor}: {term}", pad=3)
    ax.set_xlabel("conditional mode ± 1.96 SE")
    few = len(rows) <= _MAX_LABELLED_LEVELS
    ax.set_yticks(position if few else [])
    if few and labelled:
        ax.set_yticklabels([str(level) for level in rows.index],
                           fontsize=7 if len(rows) > 20 else 8)
    elif few:
        ax.set_yticklabels([])
    if labelled:
        ax.set_ylabel(factor if few else f"{len(rows)} levels of {factor}, sorted")


def diagnostics(model):
    """Check a fitted model: residuals, normality at both levels, spread by group.

    Four panels: residuals against fitted values; a normal QQ plot of the
    standardised residuals; a normal QQ plot of the standardised conditional
    modes (one colour per random term); and boxplots of the residuals for each
    level of the first grouping factor, sorted by median.

    Parameters
    ----------
    model : mlmcourse.FitResult
        A model fitted with :func:`mlmcourse.fit`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> fig = mlmcourse.plot.diagnostics(model)
    >>> len(fig.axes)
    4
    """
    result = _check_model(model, "diagnostics")
    with _style.figure_context():
        fig, axes = plt.subplots(2, 2, layout="constrained", figsize=(_style.TEXT_WIDTH, 5.4))
        _residuals_vs_fitted(axes[0, 0], result)
        _qq(axes[0, 1], {"residuals": result.resid}, "standardised residual")
        _qq(axes[1, 0], _modes_by_term(result), "standardised conditional mode")
        _residuals_by_group(axes[1, 1], result)
    return fig


def _residuals_vs_fitted(ax, result):
    ax.axhline(0, color=_style.COMPLETE_COLOUR, lw=0.8, ls="--")
    ax.scatter(result.fitted, result.resid, s=8, color=_style.PARTIAL_COLOUR, alpha=0.5,
               linewidths=0)
    ax.set_xlabel("fitted value")
    ax.set_ylabel("residual")
    ax.set_title("residuals against fitted values", pad=3)


def _modes_by_term(result):
    ranef = result.ranef
    return {f"{g}: {t}" if len(result.group_names) > 1 else t: rows["estimate"]
            for (g, t), rows in ranef.groupby(["group", "term"], sort=False)}


def _qq(ax, samples, ylabel):
    limit = 0.0
    for (name, values), colour in zip(samples.items(), _style.OKABE_ITO):
        values = np.sort(np.asarray(values, dtype=float))
        spread = values.std(ddof=1)
        standardised = (values - values.mean()) / spread if spread > 0 else values * 0
        theory = stats.norm.ppf((np.arange(1, len(values) + 1) - 0.5) / len(values))
        ax.plot(theory, standardised, "o", ms=3, color=colour, alpha=0.7, label=name)
        limit = max(limit, np.abs(theory).max())
    ax.plot([-limit, limit], [-limit, limit], color=_style.COMPLETE_COLOUR, lw=0.8, ls="--")
    ax.set_xlabel("normal quantile")
    ax.set_ylabel(ylabel)
    ax.set_title("normal QQ: " + ("residuals" if "residual" in ylabel else "random effects"),
                 pad=3)
    if len(samples) > 1:
        ax.legend(loc="upper left")


def _residuals_by_group(ax, result):
    factor = result.group_names[0]
    residuals = pd.DataFrame({"level": result._labels[factor],
                              "resid": np.asarray(result.resid, dtype=float)})
    by_level = residuals.groupby("level", sort=False)["resid"]
    order = by_level.median().sort_values(kind="stable").index
    boxes = [by_level.get_group(level).to_numpy() for level in order]
    thin = 0.5 if len(boxes) > 30 else 0.8
    line = dict(color=_style.PARTIAL_COLOUR, lw=thin)
    parts = ax.boxplot(boxes, positions=np.arange(len(boxes)), widths=0.7,
                       patch_artist=True, showfliers=True, whiskerprops=line, capprops=line,
                       flierprops=dict(marker="o", ms=1.5, alpha=0.5,
                                       markeredgecolor=_style.PARTIAL_COLOUR),
                       medianprops=dict(color=_style.COMPLETE_COLOUR, lw=thin + 0.2))
    for box in parts["boxes"]:
        box.set(facecolor="#A6CEE3", edgecolor=_style.PARTIAL_COLOUR, lw=thin)
    ax.axhline(0, color=_style.COMPLETE_COLOUR, lw=0.8, ls="--")
    ax.set_ylabel("residual")
    if len(order) <= 30:
        ax.set_xticks(np.arange(len(order)), [str(level) for level in order],
                      rotation=90, fontsize=7)
        ax.set_xlabel(factor)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{len(order)} levels of {factor}, sorted by median")
    ax.set_title(f"residual spread by {factor}", pad=3)


def variance_partition(model, *, ax=None):
    """Show the share of the total variance at each level (the ICC, seen).

    One horizontal bar split into the variance of each grouping factor's
    random intercept and the residual variance, each labelled with its share.
    For a model with one grouping factor the first share is the intraclass
    correlation (``model.icc``).

    Parameters
    ----------
    model : mlmcourse.FitResult
        A model with random intercepts only. With a random slope the variance
        at the group level changes with the predictor, so there is no single
        share to draw; this is an error.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> hsb = mlmcourse.load_dataset("hsb")
    >>> model = mlmcourse.fit("mathach ~ 1 + (1 | school)", hsb)
    >>> ax = mlmcourse.plot.variance_partition(model)
    >>> [bar.get_label() for bar in ax.containers]
    ['school', 'Residual']
    """
    result = _check_model(model, "variance_partition")
    shares = _variance_shares(result)
    colours = [*_style.OKABE_ITO[:len(shares) - 1], "#BBBBBB"]
    with _style.figure_context():
        ax = _style.new_axes(ax, (_style.TEXT_WIDTH, 1.5))
        left = 0.0
        for (name, share), colour in zip(shares.items(), colours):
            bars = ax.barh([0], [share], left=left, color=colour, height=0.6, label=name,
                           edgecolor="white", linewidth=1.5)
            _label_share(ax, bars, left, name, share, colour)
            left += share
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.4, 0.7)
        ax.set_yticks([])
        ax.spines[["left", "top", "right"]].set_visible(False)
        ax.xaxis.set_major_formatter(_percent())
        ax.set_xlabel(f"share of the variance of {result.response}")
    return ax


def _label_share(ax, bars, left, name, share, colour):
    """Name and percentage inside a wide enough segment, else just above it."""
    text = f"{name}\n{share:.0%}"
    if share >= 0.12:
        dark = colour in ("#0072B2", "#D55E00", "#000000", "#009E73")
        ax.bar_label(bars, labels=[text], label_type="center", fontsize=9,
                     color="white" if dark else "black")
    else:
        middle = left + share / 2
        x, align = ((left + share, "right") if middle > 0.85 else
                    (left, "left") if middle < 0.15 else (middle, "center"))
        ax.text(x, 0.34, f"{name} {share:.0%}", ha=align, va="bottom", fontsize=9)


def _variance_shares(result):
    varcorr = result.varcorr
    groups = varcorr[varcorr["group"] != "Residual"]
    slopes = groups[groups["term"] != "Intercept"]
    if len(slopes):
        first = slopes.iloc[0]
        raise ValueError("variance_partition() needs a model with random intercepts only: "
                         f"{first['term']!r} varies by {first['group']!r}, so the variance "
                         f"between {first['group']!r} groups depends on {first['term']!r} "
                         "and there is no single share to draw.")
    variances = dict(zip(groups["group"], groups["variance"].astype(float)))
    variances["Residual"] = float(varcorr.loc[varcorr["group"] == "Residual",
                                              "variance"].iloc[0])
    total = sum(variances.values())
    return {name: value / total for name, value in variances.items()}


def _percent():
    return PercentFormatter(xmax=1)


# ---------------------------------------------------------------------------
# covariance matrices


def covariance_heatmaps(matrices, *, fmt=".2f", annotate=True, cmap="viridis"):
    """Draw square covariance (or correlation) matrices side by side on one colour scale.

    Made to set the covariance over time that the data show beside the one each
    model implies: compound symmetry for a random intercept, variances that grow
    with time for a random slope. Each panel is one matrix, labelled with its
    key; all panels share the colour scale, so equal colours are equal values.

    Parameters
    ----------
    matrices : dict of str to pandas.DataFrame
        Panel label to a square matrix whose index and columns are the same
        labels (for example the times of measurement), in the order drawn.
    fmt : str, default ".2f"
        Format of the numbers written in the cells.
    annotate : bool, default True
        Write each cell's value in it.
    cmap : str, default "viridis"
        A matplotlib colour map; the default is perceptually uniform and
        readable by colour-blind readers and in greyscale.

    Returns
    -------
    matplotlib.figure.Figure
        One Axes per matrix, then one colour bar.

    Examples
    --------
    >>> import mlmcourse, pandas as pd
    >>> times = [0, 1, 2]
    >>> flat = pd.DataFrame(1.0, index=times, columns=times)
    >>> growing = pd.DataFrame([[1, 1, 1], [1, 2, 2], [1, 2, 3]], index=times, columns=times)
    >>> fig = mlmcourse.plot.covariance_heatmaps({"flat": flat, "growing": growing})
    >>> [ax.get_title() for ax in fig.axes[:2]]
    ['flat', 'growing']
    """
    panels = _check_matrices(matrices)
    values = np.concatenate([m.to_numpy(float).ravel() for m in panels.values()])
    low, high = np.nanmin(values), np.nanmax(values)
    n = len(panels)
    with _style.figure_context():
        fig, axes = plt.subplots(1, n, squeeze=False, layout="constrained",
                                 figsize=(min(_style.TEXT_WIDTH, 0.8 + 2.4 * n), 2.7))
        for ax, (label, matrix) in zip(axes.ravel(), panels.items()):
            image = _heatmap(ax, matrix, low, high, cmap, fmt if annotate else None)
            ax.set_title(label, pad=3)
        fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.85, pad=0.02)
    return fig


def _check_matrices(matrices):
    if not isinstance(matrices, dict) or not matrices:
        raise TypeError("covariance_heatmaps() needs a non-empty dict of panel label to "
                        f"square DataFrame, not {type(matrices).__name__}.")
    for label, matrix in matrices.items():
        if not isinstance(matrix, pd.DataFrame):
            raise TypeError(f"covariance_heatmaps(): matrix {label!r} must be a pandas "
                            f"DataFrame, not {type(matrix).__name__}.")
        if matrix.shape[0] != matrix.shape[1] or list(matrix.index) != list(matrix.columns):
            raise ValueError(f"covariance_heatmaps(): matrix {label!r} must be square with "
                             f"the same labels on its rows and columns; it is "
                             f"{matrix.shape[0]} x {matrix.shape[1]}.")
        if not all(pd.api.types.is_numeric_dtype(t) for t in matrix.dtypes):
            raise TypeError(f"covariance_heatmaps(): matrix {label!r} must hold numbers.")
    return matrices


def _heatmap(ax, matrix, low, high, cmap, fmt):
    values = matrix.to_numpy(float)
    image = ax.imshow(values, vmin=low, vmax=high, cmap=cmap)
    ticks = np.arange(len(matrix))
    labels = [f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v)
              for v in matrix.index]
    ax.set_xticks(ticks, labels, fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    ax.grid(False)
    if fmt is not None:
        middle = low + (high - low) / 2
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                ax.text(j, i, format(value, fmt), ha="center", va="center",
                        fontsize=7 if len(matrix) > 5 else 8,
                        color="black" if value > middle else "white")
    return image


# ---------------------------------------------------------------------------
# within and between groups; a model's fixed-part lines


def within_between(data, *, x, y, group, ax=None):
    """Draw the within-group and the between-group slopes of `y` on `x`.

    Each group's mean is a grey point (its area proportional to the group's size) with a
    short blue segment through it, of the pooled within-group slope (the slope of a
    regression with one intercept per group), spanning the group's mean of `x` plus and
    minus one within-group SD. The black dashed line is the between-group slope: the
    least-squares line through the group means, one point per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    x, y, group : str
        Names of the predictor, the outcome and the grouping column.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> hsb = mlmcourse.load_dataset("hsb")
    >>> ax = mlmcourse.plot.within_between(hsb, x="ses", y="mathach", group="school")
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['within schools: slope 2.19', 'between schools: slope 5.91']
    """
    _style.check_dataframe(data, "within_between")
    _style.check_columns(data, {"x": x, "y": y, "group": group}, numeric=("x", "y"))
    frame = _style.complete_rows(data, [x, y, group], "within_between")
    means = frame.groupby(group)[[x, y]].agg(["mean", "std", "size"])
    x_dev = frame[x] - frame.groupby(group)[x].transform("mean")
    y_dev = frame[y] - frame.groupby(group)[y].transform("mean")
    within = (x_dev * y_dev).sum() / (x_dev**2).sum()
    between, level = np.polyfit(means[(x, "mean")], means[(y, "mean")], 1)
    noun = group if group.endswith("s") else f"{group}s"
    with _style.figure_context():
        ax = _style.new_axes(ax, (4.8, 3.4))
        centre, spread = means[(x, "mean")], means[(x, "std")].fillna(0)
        for cx, sd, cy in zip(centre, spread, means[(y, "mean")]):
            ax.plot([cx - sd, cx + sd], [cy - within * sd, cy + within * sd],
                    color=_style.PARTIAL_COLOUR, lw=1.0, alpha=0.7)
        ax.lines[0].set_label(f"within {noun}: slope {within:.2f}")
        ax.scatter(centre, means[(y, "mean")], s=3 * means[(x, "size")],
                   color=_style.POINT_COLOUR, alpha=0.6, zorder=2)
        grid = np.array([centre.min(), centre.max()])
        ax.plot(grid, level + between * grid, color=_style.COMPLETE_COLOUR, ls="--", lw=2,
                label=f"between {noun}: slope {between:.2f}", zorder=3)
        ax.set(xlabel=f"{x} (group mean and ±1 SD)", ylabel=f"{y} (group mean)")
        ax.legend(loc="best")
    return ax


def predicted_lines(model, *, x, at, ax=None):
    """Draw a model's fixed-part predictions against `x` for chosen values of other predictors.

    One line per combination of the values in `at` (Singer and Willett's *prototypical*
    lines), over the range of `x` in the model's data: colour follows the first predictor
    of `at`, line style the second. Predictors of the model not named in `at` or `x` must
    be given there too.

    Parameters
    ----------
    model : FitResult
        A fit from :func:`mlmcourse.fit`.
    x : str
        The column along the horizontal axis.
    at : dict
        Column name to a list of values, for one or two other predictors.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> hsb = mlmcourse.load_dataset("hsb")
    >>> model = mlmcourse.fit("mathach ~ cses * sector + (cses | school)", hsb)
    >>> ax = mlmcourse.plot.predicted_lines(model, x="cses",
    ...                                     at={"sector": ["Catholic", "Public"]})
    >>> [line.get_label() for line in ax.lines]
    ['sector = Catholic', 'sector = Public']
    """
    _check_model(model, "predicted_lines")
    if not isinstance(at, dict) or not 1 <= len(at) <= 2:
        raise ValueError("predicted_lines() needs `at` as a dict of one or two columns, each "
                         "with a list of values, such as {'sector': ['Catholic', 'Public']}.")
    _style.check_columns(model.data, {"x": x, **{f"at[{k!r}]": k for k in at}}, numeric=("x",))
    grid = np.linspace(model.data[x].min(), model.data[x].max(), 50)
    names = list(at)
    combos = pd.MultiIndex.from_product([at[name] for name in names], names=names)
    styles = ["-", "--", ":", "-."]
    with _style.figure_context():
        ax = _style.new_axes(ax, (4.8, 3.4))
        for values in combos:  # tuples, also for one predictor
            rows = pd.DataFrame({x: grid, **dict(zip(names, values))})
            first = list(at[names[0]]).index(values[0])
            style = styles[list(at[names[1]]).index(values[1]) % 4] if len(names) > 1 else "-"
            ax.plot(grid, model.predict(rows, random=False), ls=style, lw=1.8,
                    color=_style.OKABE_ITO[first % len(_style.OKABE_ITO)],
                    label=", ".join(f"{n} = {_plain(v)}" for n, v in zip(names, values)))
        ax.set(xlabel=x, ylabel=f"{model.response} (fixed part)")
        ax.legend(loc="best")
    return ax


def _plain(value):
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


# ---------------------------------------------------------------------------
# nested or crossed: which groups share observations


def membership(data, *, x, y, ax=None):
    """Draw which levels of two grouping factors occur together: nested or crossed, seen.

    One dot for every combination of a level of `x` and a level of `y` that
    has observations, its area proportional to their number. The levels of
    `x` run along the horizontal axis in their natural order; the levels of
    `y` are sorted by the first level of `x` they occur with, so that `y`
    nested in `x` shows as a staircase (each row holds one dot) and crossed
    factors as rows with several dots.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    x, y : str
        Names of the two grouping columns; with nesting, `x` is the outer one.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Level labels are written on an axis with at most 30 levels; with more, the
    axis says how many levels it shows.

    Examples
    --------
    >>> import mlmcourse
    >>> pastes = mlmcourse.load_dataset("pastes")
    >>> ax = mlmcourse.plot.membership(pastes, x="batch", y="sample")
    >>> len(ax.collections[0].get_offsets())   # 30 samples, each in one batch
    30
    """
    _style.check_dataframe(data, "membership")
    _style.check_columns(data, {"x": x, "y": y})
    if x == y:
        raise ValueError(f"membership() needs two different columns; x and y are both {x!r}.")
    frame = _style.complete_rows(data, [x, y], "membership")
    cells = frame.groupby([x, y], observed=True).size().rename("n").reset_index()
    x_levels = _style.check_levels(frame, x, None, "membership")
    x_pos = {level: i for i, level in enumerate(x_levels)}
    cells["x_pos"] = cells[x].map(x_pos)
    first = cells.groupby(y)["x_pos"].min()
    y_levels = sorted(first.index, key=lambda level: (first[level], _style._natural_key(level)))
    cells["y_pos"] = cells[y].map({level: i for i, level in enumerate(y_levels)})
    area = 60 * cells["n"] / cells["n"].max()
    with _style.figure_context():
        ax = _style.new_axes(ax, (4.0, 4.0))
        ax.scatter(cells["x_pos"], cells["y_pos"], s=area.clip(lower=4),
                   color=_style.SINGLE_COLOUR, linewidths=0)
        _membership_axis(ax.xaxis, x_levels, x)
        _membership_axis(ax.yaxis, y_levels, y)
        ax.set_xlim(-0.7, len(x_levels) - 0.3)
        ax.set_ylim(len(y_levels) - 0.3, -0.7)
        ax.grid(False)
    return ax


def _membership_axis(axis, levels, name, most=30):
    if len(levels) <= most:
        axis.set_ticks(range(len(levels)), [str(level) for level in levels], fontsize=7)
        axis.set_label_text(name)
    else:
        axis.set_ticks([])
        axis.set_label_text(f"{name} ({len(levels)} levels)")



# ---------------------------------------------------------------------------
# checking a model: random effects, influence, the variance a random part implies



def ranef_qq(model, *, group=None, ax=None):
    """Normal QQ plots of the conditional modes, one panel per random term.

    Each panel draws a term's conditional modes, sorted, against normal
    quantiles, with the line of the distribution the model assumes,
    N(0, tau^2) (slope tau, the term's estimated SD). Shrinkage makes the modes
    less spread out than that line and more normal-looking than the true
    effects, so a curved pattern here is evidence against normality, but a
    straight one is weak evidence for it.

    Parameters
    ----------
    model : mlmcourse.FitResult
        A model fitted with :func:`mlmcourse.fit`.
    group : str, optional
        Only this grouping factor's terms; all when omitted.
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        Where to draw: one Axes per panel, in the order of ``model.varcorr``;
        a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> fig = mlmcourse.plot.ranef_qq(model)
    >>> [ax.get_title() for ax in fig.axes]
    ['Subject: Intercept', 'Subject: Days']
    """
    result = _check_model(model, "ranef_qq")
    ranef = _ranef_of(result, group, "ranef_qq")
    panels = list(ranef.groupby(["group", "term"], sort=False))
    sds = result.varcorr.set_index(["group", "term"])["sd"]
    with _style.figure_context():
        axes = _panel_axes(ax, len(panels), "ranef_qq", height=2.8)
        for axis, ((factor, term), rows) in zip(axes, panels):
            modes = np.sort(rows["estimate"].to_numpy(float))
            quantiles = stats.norm.ppf((np.arange(1, len(modes) + 1) - 0.5) / len(modes))
            axis.plot(quantiles, modes, "o", ms=3, color=_style.PARTIAL_COLOUR, alpha=0.7)
            ends = quantiles[[0, -1]]
            axis.plot(ends, sds[(factor, term)] * ends, color=_style.COMPLETE_COLOUR,
                      lw=0.9, ls="--", label="N(0, τ²) of the model")
            axis.set_title(f"{factor}: {term}", pad=3)
            axis.set_xlabel("normal quantile")
        axes[0].set_ylabel("conditional mode")
        axes[0].legend(loc="upper left")
    return axes[0].figure


def ranef_against(model, x, *, group=None, ax=None):
    """Conditional modes against a group-level predictor, one panel per random term.

    The model assumes that the random effects do not depend on the
    predictors; a trend of the modes with a group-level variable says that
    the variable belongs in the fixed part (for the intercept) or in an
    interaction with the term (for a slope). Each panel adds the
    least-squares line through the points.

    Parameters
    ----------
    model : mlmcourse.FitResult
        A model fitted with :func:`mlmcourse.fit`.
    x : str
        A numeric column of ``model.data`` that is constant within each group
        (a level-2 predictor), whether or not the model uses it.
    group : str, optional
        The grouping factor; the model's first when omitted.
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        One Axes per random term of `group`; a new figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import mlmcourse
    >>> hsb = mlmcourse.load_dataset("hsb")
    >>> model = mlmcourse.fit("mathach ~ cses + (cses | school)", hsb)
    >>> fig = mlmcourse.plot.ranef_against(model, "meanses")
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['meanses', 'meanses']
    """
    result = _check_model(model, "ranef_against")
    factor = result.group_names[0] if group is None else group
    ranef = _ranef_of(result, factor, "ranef_against")
    values = _group_values(result, x, factor)
    panels = list(ranef.groupby("term", sort=False))
    with _style.figure_context():
        axes = _panel_axes(ax, len(panels), "ranef_against", height=2.8)
        for axis, (term, rows) in zip(axes, panels):
            level_x = values.reindex(rows["level"]).to_numpy(float)
            modes = rows["estimate"].to_numpy(float)
            axis.axhline(0, color=_style.COMPLETE_COLOUR, lw=0.8, ls="--")
            axis.plot(level_x, modes, "o", ms=3, color=_style.PARTIAL_COLOUR, alpha=0.6)
            slope, intercept = np.polyfit(level_x, modes, 1)
            ends = np.array([level_x.min(), level_x.max()])
            axis.plot(ends, intercept + slope * ends, color=_style.NO_POOL_COLOUR, lw=1.5)
            axis.set_title(f"{factor}: {term}", pad=3)
            axis.set_xlabel(x)
        axes[0].set_ylabel("conditional mode")
    return axes[0].figure


def _group_values(result, x, factor):
    """The value of column `x` for each level of `factor`; an error if it varies within one."""
    _style.check_columns(result.data, {"x": x}, numeric=["x"])
    frame = pd.DataFrame({"level": result._labels[factor], "x": result.data[x].to_numpy()})
    spread = frame.groupby("level")["x"].agg(["min", "max"])
    varies = spread[spread["max"] > spread["min"]]
    if len(varies):
        level = varies.index[0]
        raise ValueError(f"x={x!r} varies within {factor} {_plain_level(level)!r} (from "
                         f"{varies.loc[level, 'min']:g} to {varies.loc[level, 'max']:g}); "
                         f"it must be a {factor}-level variable, one value per group.")
    return spread["min"]


def _plain_level(level):
    return level.item() if isinstance(level, np.generic) else level


def _panel_axes(ax, count, function, height):
    """`count` Axes: those given (checked), else a new row of panels."""
    if ax is None:
        _, axes = plt.subplots(1, count, squeeze=False, layout="constrained",
                               figsize=(min(_style.TEXT_WIDTH, 0.8 + 2.9 * count), height))
        return list(axes.ravel())
    axes = list(np.ravel([ax]))
    if len(axes) != count:
        raise ValueError(f"{function}() draws {count} panel(s) for this model; ax= holds "
                         f"{len(axes)} Axes.")
    return axes


def influence(table, *, top=3, ax=None):
    """Draw each group's Cook's distance, labelling the most influential groups.

    Parameters
    ----------
    table : pandas.DataFrame
        The result of :func:`mlmcourse.influence`: one row per group left out,
        indexed by group, with a ``cooks_distance`` column.
    top : int, default 3
        How many of the largest distances to label with their group.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> ax = mlmcourse.plot.influence(mlmcourse.influence(model), top=1)
    >>> [text.get_text() for text in ax.texts]
    ['309']
    """
    if not isinstance(table, pd.DataFrame) or "cooks_distance" not in table.columns:
        raise TypeError("influence() needs the table of mlmcourse.influence(model), a "
                        "DataFrame with a 'cooks_distance' column.")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0:
        raise ValueError(f"top must be a whole number of groups to label, not {top!r}.")
    order = sorted(table.index, key=_style._natural_key)
    distance = table["cooks_distance"].reindex(order).to_numpy(float)
    position = np.arange(len(order))
    with _style.figure_context():
        ax = _style.new_axes(ax, (_style.TEXT_WIDTH, 2.6))
        ax.vlines(position, 0, distance, color=_style.PARTIAL_COLOUR, lw=1.2)
        ax.plot(position, distance, "o", ms=3.5, color=_style.PARTIAL_COLOUR)
        for i in np.argsort(-distance, kind="stable")[:top]:
            ax.annotate(str(order[i]), (position[i], distance[i]), xytext=(0, 4),
                        textcoords="offset points", ha="center", fontsize=8)
        ax.set_ylim(0, distance.max() * 1.15 if distance.max() > 0 else 1)
        name = table.index.name or "group"
        if len(order) <= 30:
            ax.set_xticks(position, [str(level) for level in order], rotation=90, fontsize=7)
            ax.set_xlabel(f"{name} left out")
        else:
            ax.set_xticks([])
            ax.set_xlabel(f"{len(order)} levels of {name} left out, in order")
        ax.set_ylabel("Cook's distance")
    return ax


def variance_function(model, *, x, points=True, label=None, ax=None):
    """Draw the variance of the outcome that the model implies, against a predictor.

    A random intercept alone implies one variance, tau_0^2 + sigma^2, for
    every row. A random slope on x adds 2 rho tau_0 tau_1 x + tau_1^2 x^2: a
    parabola in x with its lowest point at x = -rho tau_0 / tau_1. The points
    are the variance of the marginal residuals (outcome minus the fixed part)
    at each value of `x` (in ten bins of equal count when it has more than 25
    values), the data's answer to the same question.

    Parameters
    ----------
    model : mlmcourse.FitResult
        A model fitted with :func:`mlmcourse.fit`, without prior weights.
    x : str
        A numeric column of ``model.data``. The random part may depend on no
        other column.
    points : bool, default True
        Also draw the variance of the marginal residuals.
    label : str, optional
        Legend label of the curve (draw several models on one `ax`).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> sleep = mlmcourse.load_dataset("sleepstudy")
    >>> model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    >>> ax = mlmcourse.plot.variance_function(model, x="Days")
    >>> round(float(ax.lines[0].get_ydata()[0]), 1)  # tau_0^2 + sigma^2 at Days = 0
    1267.0
    """
    result = _check_model(model, "variance_function")
    _style.check_columns(result.data, {"x": x}, numeric=["x"])
    if result.weights is not None:
        raise ValueError("variance_function() draws models without prior weights: with "
                         f"weights={result.weights!r} the residual variance differs row by row.")
    values = result.data[x].to_numpy(float)
    _check_depends_on_x_only(result, x, values)
    grid = np.linspace(values.min(), values.max(), 200)
    newdata = result.data.iloc[np.zeros(len(grid), dtype=int)].assign(**{x: grid})
    with _style.figure_context():
        ax = _style.new_axes(ax, (_style.TEXT_WIDTH * 0.6, 3.0))
        curve, = ax.plot(grid, _implied_variance(result, newdata), lw=1.8, label=label)
        if points:
            where, spread = _residual_variance(result, values)
            ax.plot(where, spread, "o", ms=4, color=curve.get_color())
        ax.set_xlabel(x)
        ax.set_ylabel(f"variance of {result.response}")
        if label is not None:
            ax.legend()
    return ax


def _implied_variance(result, newdata):
    """sum over factors of z' G z, plus sigma^2, for every row of `newdata`."""
    total = np.full(len(newdata), result.sigma ** 2)
    for factor, cov in zip(result._design.factors, result._factor_covariances()):
        Z = np.column_stack([result._build(b.design, newdata, f"the random terms of "
                                           f"{b.factor!r}") for b in factor.blocks])
        total += np.einsum("ij,jk,ik->i", Z, cov, Z)
    return total


def _check_depends_on_x_only(result, x, values):
    implied = pd.Series(_implied_variance(result, result.data)).groupby(values)
    spread = (implied.max() - implied.min()).max()
    if spread > 1e-8 * max(1.0, float(np.abs(implied.max()).max())):
        raise ValueError(f"variance_function(): the variance this model implies depends on "
                         f"more than x={x!r} (its random part uses other columns), so it is "
                         "not one curve in x.")


def _residual_variance(result, values):
    marginal = np.asarray(result._y, float) - result.predict(random=False).to_numpy()
    frame = pd.DataFrame({"x": values, "r": marginal})
    if frame["x"].nunique() > 25:
        frame["bin"] = pd.qcut(frame["x"], 10, labels=False, duplicates="drop")
        grouped = frame.groupby("bin")
        return grouped["x"].mean().to_numpy(), grouped["r"].var().to_numpy()
    grouped = frame.groupby("x")["r"].var()
    return grouped.index.to_numpy(float), grouped.to_numpy()


# ---------------------------------------------------------------------------
# generalized linear mixed models: conditional and marginal curves


def marginal_curves(model, *, n_groups=15, limits=(-5.0, 5.0), ax=None):
    """Draw group-level logistic curves, the typical group's curve and their average.

    Along the fixed part of the linear predictor (the log-odds of a group whose random
    intercept is zero), each thin curve is a group whose intercept sits at one of `n_groups`
    evenly spaced quantiles of the fitted normal distribution; the dashed curve is the typical
    group; the thick curve is the population average of all groups' probabilities, the
    marginal (population-averaged) curve.  With a larger random-intercept variance the
    average curve is flatter: the attenuation of marginal effects.

    Parameters
    ----------
    model : mlmcourse.FitResult
        A binomial (logistic) GLMM with random intercepts only; the variances of several
        grouping factors add up.
    n_groups : int, optional
        Number of group-level curves to draw.
    limits : tuple of float, optional
        Range of the fixed-part log-odds on the horizontal axis.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import mlmcourse
    >>> cbpp = mlmcourse.load_dataset("cbpp")
    >>> model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)",
    ...                       cbpp, family="binomial")
    >>> ax = mlmcourse.plot.marginal_curves(model)
    >>> [line.get_label() for line in ax.get_lines()][-2:]
    ['typical group', 'average over groups']
    """
    tau = _intercept_sd(_check_model(model, "marginal_curves"))
    if not (isinstance(n_groups, (int, np.integer)) and n_groups >= 1):
        raise ValueError(f"n_groups must be a positive whole number, not {n_groups!r}.")
    eta = np.linspace(*limits, 201)
    quantiles = stats.norm.ppf((np.arange(n_groups) + 0.5) / n_groups)
    nodes, weights = np.polynomial.hermite_e.hermegauss(61)
    curve = stats.logistic.cdf
    average = (weights / weights.sum()) @ curve(eta[None, :] + tau * nodes[:, None])
    with _style.figure_context():
        ax = _style.new_axes(ax, (_style.TEXT_WIDTH * 0.6, 3.2))
        for i, q in enumerate(quantiles):
            ax.plot(eta, curve(eta + tau * q), color=_style.POINT_COLOUR, lw=0.7, alpha=0.7,
                    label="groups at quantiles of the random effect" if i == 0 else None)
        ax.plot(eta, curve(eta), color=_style.COMPLETE_COLOUR, ls="--", lw=1.6,
                label="typical group")
        ax.plot(eta, average, color=_style.PARTIAL_COLOUR, lw=2.4, label="average over groups")
        ax.set(xlim=limits, ylim=(0, 1), xlabel="fixed-part log-odds (typical group)",
               ylabel="probability")
    return ax


def _intercept_sd(result):
    if getattr(result, "family", "gaussian") != "binomial":
        raise ValueError("marginal_curves() needs a logistic model, fitted with "
                         "family='binomial'; this one is "
                         f"{getattr(result, 'family', 'gaussian')!r}.")
    varcorr = result.varcorr
    slopes = varcorr[varcorr["term"] != "Intercept"]
    if len(slopes):
        first = slopes.iloc[0]
        raise ValueError("marginal_curves() needs a model with random intercepts only: "
                         f"{first['term']!r} varies by {first['group']!r}, so the spread of "
                         "the groups' curves changes along the predictor.")
    return float(np.sqrt(varcorr["variance"].sum()))
