"""mlmcourse.fit agrees with lme4 on every model of the reference zoo.

The answers come from reference/lme4_reference.json, written by
reference/lme4_reference.R (lme4's best optimum over five optimizers).
"""
import json
import sys
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlmcourse

sys.path.insert(0, str(Path(__file__).parents[1] / "reference"))
import simulated  # noqa: E402 - the simulated designs of the reference zoo

REFERENCE = Path(__file__).parents[1] / "reference" / "lme4_reference.json"
MODELS = json.loads(REFERENCE.read_text())["models"]
RELATIVE = 1e-4        # fixed effects, SEs, SDs, correlations
NEAR_ZERO = 1e-2       # below this, compare absolutely ...
ABSOLUTE = 1e-4        # ... within this
LOGLIK = 1e-3


def load(name):
    """A course data set, or a simulated design ("simulated:crossed_100000")."""
    if name.startswith("simulated:"):
        return simulated.design(name.split(":", 1)[1])
    return mlmcourse.load_dataset(name)


@cache
def fitted(model_id):
    entry = next(m for m in MODELS if m["id"] == model_id)
    data = load(entry["data"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit(entry["formula"], data, reml=entry["reml"],
                              weights=entry.get("weights"))
    return model, entry, data


def agrees(ours, theirs):
    if abs(theirs) < NEAR_ZERO:
        return abs(ours - theirs) <= ABSOLUTE
    return abs(ours - theirs) <= RELATIVE * abs(theirs)


def patsy_term(r_name, data):
    """R's coefficient name as a set of patsy factor names ("sectorPublic" -> "sector[T.Public]")."""
    if r_name == "(Intercept)":
        return frozenset(["Intercept"])
    pieces = []
    for piece in r_name.split(":"):
        if piece in data.columns or piece.startswith(("I(", "center(")):  # R's name is patsy's
            pieces.append(piece)
            continue
        column = next(c for c in data.columns
                      if piece.startswith(c) and not pd.api.types.is_numeric_dtype(data[c]))
        pieces.append(f"{column}[T.{piece[len(column):]}]")
    return frozenset(pieces)


def random_term(r_name):
    return "Intercept" if r_name == "(Intercept)" else r_name


IDS = [m["id"] for m in MODELS]


def test_the_zoo_has_at_least_twelve_models():
    assert len(MODELS) >= 12


@pytest.mark.parametrize("model_id", IDS)
def test_log_likelihood_matches_lme4(model_id):
    model, entry, _ = fitted(model_id)
    assert model.llf == pytest.approx(entry["loglik"], abs=LOGLIK)


@pytest.mark.parametrize("model_id", IDS)
def test_fixed_effects_and_standard_errors_match_lme4(model_id):
    model, entry, data = fitted(model_id)
    ours = {frozenset(term.split(":")): row for term, row in model.fixef.iterrows()}
    assert len(ours) == len(entry["fixef"])
    for row in entry["fixef"]:
        mine = ours[patsy_term(row["term"], data)]
        assert agrees(mine["estimate"], row["estimate"]), row["term"]
        assert agrees(mine["se"], row["se"]), row["term"]


@pytest.mark.parametrize("model_id", IDS)
def test_random_effect_sds_and_correlations_match_lme4(model_id):
    model, entry, _ = fitted(model_id)
    for row in entry["varcorr"]:
        if row["group"] == "Residual":
            assert agrees(model.sigma, row["sd"])
            continue
        covariance = model.covariance(row["group"])
        first = random_term(row["var1"])
        if row["var2"] is None:
            assert agrees(np.sqrt(covariance.loc[first, first]), row["sd"]), row
        else:
            second = random_term(row["var2"])
            corr = covariance.loc[first, second] / np.sqrt(
                covariance.loc[first, first] * covariance.loc[second, second])
            assert agrees(corr, row["corr"]), row


@pytest.mark.parametrize("model_id", IDS)
def test_singular_flag_matches_lme4(model_id):
    model, entry, _ = fitted(model_id)
    assert model.singular == entry["singular"]


@pytest.mark.parametrize("model_id", IDS)
def test_observation_and_group_counts_match_lme4(model_id):
    model, entry, _ = fitted(model_id)
    assert model.nobs == entry["nobs"]
    assert model.ngroups == entry["ngroups"]
