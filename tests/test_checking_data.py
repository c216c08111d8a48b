"""The simulated data sets of the checking-models chapter are the ones in the lme4 reference.

The chapter defines its generators in its own cells (a reader sees the code); the reference zoo
reads the same data from reference/simulated.py. This runs the chapter's definitions and checks
that both give the same rows.
"""
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "reference"))
import simulated  # noqa: E402


def chapter_definition(name):
    """The function `name` as the chapter's code cell defines it."""
    nb = nbformat.read(ROOT / "chapters" / "checking-models.ipynb", as_version=4)
    source = next(c.source for c in nb.cells
                  if c.cell_type == "code" and f"def {name}(" in c.source)
    seed = next(line for c in nb.cells for line in c.source.splitlines()
                if line.startswith("SEED = "))
    namespace = {"np": np, "pd": pd}
    exec(seed + "\n" + source, namespace)
    return namespace[name]


def test_the_chapters_skewed_groups_are_the_references():
    data, _ = chapter_definition("skewed_groups")(np.random.default_rng(2025))
    pd.testing.assert_frame_equal(data, simulated.design("checking_skewed"))


@pytest.mark.parametrize("flaw, seed", [("curvature", 2024), ("skewed", 2025), ("level2", 2026)])
def test_the_chapters_flawed_data_sets_are_the_references(flaw, seed):
    reference = {"curvature": "checking_curvature", "skewed": "checking_skewed_flaw",
                 "level2": "checking_level2"}[flaw]
    pd.testing.assert_frame_equal(chapter_definition("flawed")(flaw, seed),
                                  simulated.design(reference))


def test_the_chapter_plants_the_flaws_in_the_order_the_reference_assumes():
    assert chapter_definition("flawed").__globals__["SEED"] == 2024
    order = np.random.default_rng(2024).permutation(["level2", "curvature", "skewed"])
    assert list(order) == ["curvature", "skewed", "level2"]
