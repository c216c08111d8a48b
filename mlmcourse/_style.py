"""Shared look and input checks for :mod:`mlmcourse.plot` (private).

Nothing here changes global state: the rc settings are applied only inside
:func:`figure_context`, while a figure is being built.
"""
from contextlib import contextmanager
from difflib import get_close_matches
import warnings

import matplotlib.pyplot as plt
import pandas as pd

# Okabe & Ito (2008), ordered so the first colours are the most distinct on white;
# yellow comes last because thin yellow lines are hard to see.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00",
             "#56B4E9", "#CC79A7", "#000000", "#F0E442"]
# Roles that recur across figures.
COMPLETE_COLOUR = "#000000"   # complete pooling, overall means, reference lines
NO_POOL_COLOUR = "#E69F00"    # no pooling
PARTIAL_COLOUR = "#0072B2"    # partial pooling, model-based estimates
SINGLE_COLOUR = "#0072B2"     # many groups drawn in one colour
POINT_COLOUR = "#7F7F7F"      # raw data
MAX_COLOURED_GROUPS = len(OKABE_ITO)

# The book's text is about 7 inches wide; these sizes stay readable there.
TEXT_WIDTH = 7.0
_RC = {
    "font.size": 10,
    "axes.labelsize": 10,
    "axes.titlesize": 9.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}


@contextmanager
def figure_context():
    """Apply the course look while a figure is built, then restore everything."""
    with plt.rc_context(_RC):
        yield


def new_axes(ax, figsize):
    """Return ``ax`` if given, else the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def group_colours(levels):
    """One colour per level when few enough to tell apart, else one shared colour."""
    if len(levels) <= MAX_COLOURED_GROUPS:
        return dict(zip(levels, OKABE_ITO))
    return {level: SINGLE_COLOUR for level in levels}


def check_dataframe(data, function):
    """Raise a TypeError unless ``data`` is a pandas DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{function}() needs a pandas DataFrame as data, "
                        f"not {type(data).__name__}.")


def check_columns(data, columns, *, numeric=()):
    """Check that every named column exists (suggesting close names) and that
    the ``numeric`` ones hold numbers.

    ``columns`` maps the argument name (``"x"``) to the column name given.
    """
    for role, name in columns.items():
        if not isinstance(name, str):
            raise TypeError(f"{role} must be a column name (a string), not {name!r}.")
        if name not in data.columns:
            close = get_close_matches(name, [str(c) for c in data.columns], n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ValueError(f"{role}={name!r} is not a column of the data.{hint} "
                             f"Columns: {', '.join(map(str, data.columns))}.")
    for role in numeric:
        name = columns[role]
        if not pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(data[name]):
            raise TypeError(f"{role}={name!r} must be a numeric column; it holds "
                            f"{data[name].dtype} values.")


def complete_rows(data, columns, function):
    """The rows with no missing value in ``columns``; warn with a count if any are dropped."""
    subset = data[list(dict.fromkeys(columns))]
    keep = subset.notna().all(axis=1)
    dropped = int((~keep).sum())
    if dropped:
        warnings.warn(f"{function}() dropped {dropped} of {len(data)} rows with missing "
                      f"values in {', '.join(repr(c) for c in subset.columns)}.",
                      UserWarning, stacklevel=3)
    if not keep.any():
        raise ValueError(f"{function}() has no complete rows to draw.")
    return data.loc[keep]


def check_levels(data, group, groups, function):
    """The group levels to draw: ``groups`` in the order given (checked), else all, sorted."""
    present = pd.unique(data[group])
    if groups is None:
        return sorted(present, key=_natural_key)
    if isinstance(groups, str):
        groups = [groups]
    groups = list(groups)
    known = {str(level): level for level in present}
    missing = [g for g in groups if g not in set(present)]
    if missing:
        first = str(missing[0])
        close = get_close_matches(first, list(known), n=3)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"{function}(): {group}={missing[0]!r} is not a level of "
                         f"column {group!r}.{hint}")
    if len(set(groups)) != len(groups):
        raise ValueError(f"{function}(): groups lists a level more than once.")
    return groups


def _natural_key(level):
    """Sort numbers-as-strings numerically ("9" before "10"), everything else as text."""
    text = str(level)
    try:
        return (0, float(text), text)
    except ValueError:
        return (1, 0.0, text)
