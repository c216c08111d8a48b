"""mlmcourse.influence: leaving one group out agrees with lme4's refits and with the formula.

The lme4 answers come from reference/influence_reference.json, written by
reference/influence_reference.R (HLMdiag, whose cooks.distance() this follows, is not
installable from Debian, so the script refits with lme4 itself).
"""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlmcourse

REFERENCE = json.loads((Path(__file__).parents[1] / "reference"
                        / "influence_reference.json").read_text())
MODELS = {m["id"]: m for m in REFERENCE["models"]}
SLEEP_FORMULA = "Reaction ~ Days + (Days | Subject)"


def reference_levels(entry, count=12):
    """The groups with the largest distances, and as many more from the start of the list."""
    groups = sorted(entry["groups"], key=lambda g: -g["cooks_distance"])
    chosen = groups[:count] + [g for g in entry["groups"] if g not in groups[:count]][:count]
    return {str(g["level"]): g for g in chosen}


@pytest.fixture(scope="module", params=list(MODELS))
def against_lme4(request):
    entry = MODELS[request.param]
    data = mlmcourse.load_dataset(entry["data"])
    model = mlmcourse.fit(entry["formula"], data, reml=entry["reml"])
    wanted = reference_levels(entry)
    table = mlmcourse.influence(model, entry["group"], levels=list(wanted))  # R's labels: text
    return table.set_axis(table.index.astype(str)), wanted


@pytest.fixture(scope="module")
def sleep_model(sleep):
    return mlmcourse.fit(SLEEP_FORMULA, sleep)


def test_cooks_distance_matches_lme4_refits(against_lme4):
    table, wanted = against_lme4
    theirs = pd.Series({level: g["cooks_distance"] for level, g in wanted.items()})
    np.testing.assert_allclose(table["cooks_distance"], theirs.reindex(table.index), rtol=1e-3)


def test_change_in_every_fixed_effect_matches_lme4_refits(against_lme4):
    table, wanted = against_lme4
    for level, g in wanted.items():
        theirs = np.array(list(g["change"].values()))
        ours = table.filter(like="change in").loc[level].to_numpy()
        scale = np.abs(theirs).max()
        np.testing.assert_allclose(np.sort(ours), np.sort(theirs), atol=1e-3 * scale)


def test_cooks_distance_is_the_formula_applied_to_a_fresh_fit_without_the_group(sleep,
                                                                                  sleep_model):
    table = mlmcourse.influence(sleep_model, levels=["309"])
    without = mlmcourse.fit(SLEEP_FORMULA, sleep[sleep["Subject"] != "309"])
    change = without.fixef["estimate"].to_numpy() - sleep_model.fixef["estimate"].to_numpy()
    inverse = np.linalg.inv(sleep_model._beta_cov)
    assert table.loc["309", "cooks_distance"] == pytest.approx(change @ inverse @ change / 2,
                                                             rel=1e-4)
    assert table.loc["309", "change in Days"] == pytest.approx(change[1], rel=1e-4)


def test_the_table_has_one_row_per_group_indexed_by_the_grouping_factor(sleep_model):
    table = mlmcourse.influence(sleep_model)
    assert table.index.name == "Subject"
    assert len(table) == 18 and (table["rows"] == 10).all()
    assert list(table.columns) == ["rows", "cooks_distance", "change in Intercept",
                                   "change in Days"]


def test_levels_restricts_the_groups_left_out(sleep_model):
    assert list(mlmcourse.influence(sleep_model, levels=["310", "308"]).index) == ["310", "308"]


def test_a_level_of_a_crossed_factor_can_be_left_out():
    scots = mlmcourse.load_dataset("scotssec")
    formula = "attain ~ verbal + (1 | primary) + (1 | second)"
    model = mlmcourse.fit(formula, scots)
    second = scots["second"].iloc[0]
    table = mlmcourse.influence(model, "second", levels=[second])
    without = mlmcourse.fit(formula, scots[scots["second"] != second])
    change = without.fixef["estimate"] - model.fixef["estimate"]
    assert table.loc[second, "change in verbal"] == pytest.approx(change["verbal"], rel=1e-3)


def test_an_unknown_grouping_factor_is_named(sleep_model):
    with pytest.raises(ValueError, match=r"group='Subjects' is not a grouping factor.*'Subject'"):
        mlmcourse.influence(sleep_model, "Subjects")


def test_an_unknown_level_is_named(sleep_model):
    with pytest.raises(ValueError, match=r"'Subject' has no level .999."):
        mlmcourse.influence(sleep_model, levels=["308", "999"])


def test_a_generalized_model_is_refused_with_a_clear_error():
    cbpp = mlmcourse.load_dataset("cbpp")
    model = mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp,
                          family="binomial")
    with pytest.raises(TypeError, match="linear mixed model"):
        mlmcourse.influence(model)


def test_a_group_that_alone_identifies_a_fixed_effect_is_named():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"g": np.repeat(list("abcdef"), 5),
                         "y": np.repeat(rng.normal(0, 3, 6), 5) + rng.normal(size=30)})
    data["only_a"] = (data["g"] == "a").astype(float)
    model = mlmcourse.fit("y ~ only_a + (1 | g)", data)
    with pytest.raises(mlmcourse.FormulaError, match=r"without g 'a'.*'only_a'"):
        mlmcourse.influence(model)
