"""Labels numbered within a parent but written as crossed factors get a note; real designs do not.

lme4 reads ``(1 | batch) + (1 | cask)`` as crossed factors, so cask "a" of every batch is one
cask. `mlmcourse.fit` fits that model, as lme4 does, and says when the labels look numbered
within the other factor (mlmcourse/models/nesting.py).
"""
import warnings

import numpy as np
import pandas as pd
import pytest

import mlmcourse


def quietly_fitted(formula, data):
    """Fit with every warning an error, so that a note fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", mlmcourse.ModelWarning)
        return mlmcourse.fit(formula, data)


def test_labels_numbered_within_a_parent_written_as_crossed_get_a_note(pastes):
    with pytest.warns(mlmcourse.ModelWarning,
                      match=r"'cask' is crossed with 'batch'.*write '\(1 \| batch/cask\)'"):
        model = mlmcourse.fit("strength ~ 1 + (1 | batch) + (1 | cask)", pastes)
    assert model.ngroups["cask"] == 3      # the model is still lme4's crossed one


def test_the_nested_syntax_gives_no_note(pastes):
    assert quietly_fitted("strength ~ 1 + (1 | batch/cask)", pastes).ngroups["batch:cask"] == 30


def test_unique_inner_labels_give_no_note(pastes):
    assert quietly_fitted("strength ~ 1 + (1 | batch) + (1 | sample)", pastes).ngroups[
        "sample"] == 30


def test_partly_crossed_schools_give_no_note():
    scotssec = mlmcourse.load_dataset("scotssec")
    model = quietly_fitted("attain ~ verbal + (1 | primary) + (1 | second)", scotssec)
    assert model.ngroups == {"primary": 148, "second": 19}


def test_a_fully_crossed_design_with_one_row_per_cell_gives_no_note():
    rng = np.random.default_rng(5)
    data = pd.DataFrame([(p, i) for p in range(40) for i in range(8)], columns=["person", "item"])
    data["y"] = (rng.normal(size=40)[data["person"]] + rng.normal(size=8)[data["item"]]
                 + rng.normal(size=len(data)))
    assert quietly_fitted("y ~ 1 + (1 | person) + (1 | item)", data).nobs == 320
