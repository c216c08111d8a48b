"""Nested or crossed, part of building the design: a note when labels look numbered within a parent.

lme4's formula language reads ``(1 | school) + (1 | class)`` as two crossed factors: every row
with class label "1" belongs to one class, whatever its school.  When the data number classes
within each school (class "1" of school A is not class "1" of school B), that is silently a
different model, with a few large "classes" pooled across schools.  The data alone cannot tell
the two designs apart, so `design.py` adds this module's note to the fit's warnings, and the
user decides.
"""
import numpy as np


def nesting_notes(parsed, factors):
    """Notes for pairs of grouping factors written as crossed that look nested.

    A pair (`outer`, `inner`), in the order the formula names them, gets a note when both are
    single columns, no random term names their combination, some level of `inner` occurs in
    more than one level of `outer` (so `inner` is not nested in `outer`), one level of `outer`
    holds every level of `inner` (as when labels run 1, 2, 3 ... within each group), and the
    combinations hold more than one row on average (a crossed design with one observation per
    cell, such as items crossed with people, is left alone).

    Examples
    --------
    >>> import mlmcourse
    >>> import patsy
    >>> from mlmcourse.models.formula import parse_formula
    >>> from mlmcourse.models.design import build_design
    >>> parsed = parse_formula("strength ~ 1 + (1 | batch) + (1 | cask)")
    >>> design, _ = build_design(parsed, mlmcourse.load_dataset("pastes"),
    ...                          patsy.EvalEnvironment.capture())
    >>> nesting_notes(parsed, design.factors)[0][:60]
    "'cask' is crossed with 'batch' as written: each of its 3 lev"
    """
    names = parsed.group_names
    by_name = {factor.name: factor for factor in factors}
    single = [name for name in names if ":" not in name]
    notes = []
    for i, outer in enumerate(single):
        for inner in single[i + 1:]:
            if f"{outer}:{inner}" in names or f"{inner}:{outer}" in names:
                continue
            if _looks_numbered_within(by_name[outer], by_name[inner]):
                notes.append(_note(outer, inner, by_name[inner].levels))
    return notes


def _looks_numbered_within(outer, inner):
    """Whether `inner` is crossed with `outer`, one `outer` level holds all of it, cells repeat."""
    width = len(inner.levels)
    cells = np.unique(outer.codes.astype(np.int64) * width + inner.codes)
    outers_per_inner = np.bincount(cells % width, minlength=width)
    inners_per_outer = np.bincount(cells // width)
    return bool(outers_per_inner.max() > 1 and inners_per_outer.max() == width
                and len(outer.codes) > len(cells))


def _note(outer, inner, levels):
    first = str(levels[0])
    return (f"{inner!r} is crossed with {outer!r} as written: each of its {len(levels)} levels is "
            f"one group wherever it occurs, and one {outer!r} holds all of them. If the labels of "
            f"{inner!r} are numbered within each {outer!r} ({inner} {first!r} of one {outer} is "
            f"not {inner} {first!r} of another), write '(1 | {outer}/{inner})' or give every "
            f"{inner} a label of its own; if the design really is crossed, ignore this note.")
