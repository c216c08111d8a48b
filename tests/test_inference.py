"""Inference on a fit (issue 12) against R: lmerTest's Satterthwaite df, lme4's confint
(profile and Wald), pbkrtest's PBmodcomp; plus simulate, bootstrap and their bad inputs.

The reference is reference/inference_reference.json, written by
reference/inference_reference.R.
"""
import json
import re
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlmcourse
from mlmcourse.models.bootstrap import refit_response
from mlmcourse.models.confint import Profile

REFERENCE = json.loads((Path(__file__).parents[1] / "reference"
                        / "inference_reference.json").read_text())
MODELS = {m["id"]: m for m in REFERENCE["models"]}
LINEAR = [i for i, m in MODELS.items() if m["family"] == "gaussian"]
DF_RELATIVE = 0.02        # Satterthwaite df
PROFILE_OF_WIDTH = 0.01   # profile limits, as a share of lme4's interval width
WALD_RELATIVE = 1e-4


@cache
def fitted(model_id):
    entry = MODELS[model_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        if entry["family"] == "gaussian":
            return mlmcourse.fit(entry["formula"], mlmcourse.load_dataset(entry["data"]),
                                 reml=entry["reml"])
        return mlmcourse.fit(entry["formula"], mlmcourse.load_dataset(entry["data"]),
                             family=entry["family"])


@cache
def profile_interval(model_id):
    return fitted(model_id).confint(method="profile")


def r_name(name):
    """Our parameter or term name as R writes it ("sector[T.Public]" -> "sectorPublic")."""
    return "(Intercept)" if name == "Intercept" else re.sub(r"\[T\.([^\]]+)\]", r"\1", name)


def with_r_names(table):
    return table.rename(index=r_name)


def non_monotonic(entry):
    """Parameters whose profile lme4 itself called non-monotonic (its spline limit is unsure)."""
    return {w.split(" for ", 1)[1] for w in entry["profile_warnings"]
            if w.startswith("non-monotonic profile for ")}


def test_the_reference_has_six_models_with_a_crossed_a_near_zero_variance_and_a_glmm():
    assert len(MODELS) >= 6
    assert any("binomial" == m["family"] for m in MODELS.values())
    assert any(m["formula"].count("|") >= 2 for m in MODELS.values())
    assert any(row["lower"] == 0 for m in MODELS.values() for row in m["confint_profile"]
               if row["parameter"].startswith("sd_"))
    assert len(REFERENCE["pbmodcomp"]) >= 2


# -- Satterthwaite ---------------------------------------------------------------------

@pytest.mark.parametrize("model_id", LINEAR)
def test_satterthwaite_df_match_lmertest(model_id):
    table = with_r_names(fitted(model_id).fixef)
    for row in MODELS[model_id]["satterthwaite"]:
        assert table.loc[row["term"], "df"] == pytest.approx(row["df"], rel=DF_RELATIVE)
        assert table.loc[row["term"], "t"] == pytest.approx(row["t"], rel=1e-4)


@pytest.mark.parametrize("model_id", LINEAR)
def test_satterthwaite_p_values_match_lmertest_on_the_log_scale(model_id):
    table = with_r_names(fitted(model_id).fixef)
    for row in MODELS[model_id]["satterthwaite"]:
        if row["p"] > 0:
            assert np.log10(table.loc[row["term"], "p"]) == pytest.approx(np.log10(row["p"]),
                                                                          rel=0.01, abs=0.01)


def test_linear_fixef_has_t_columns_and_a_glmm_keeps_wald_z():
    assert list(fitted("sleep_slopes_reml").fixef.columns) == [
        "estimate", "se", "df", "t", "p", "ci_lower", "ci_upper"]
    assert list(fitted("cbpp_period").fixef.columns) == [
        "estimate", "se", "z", "p", "ci_lower", "ci_upper"]


def test_summaries_say_which_test_they_use():
    assert "Satterthwaite" in fitted("sleep_slopes_reml").summary()
    assert "Pr(>|t|)" in fitted("sleep_slopes_reml").summary()
    assert "Wald z" in fitted("cbpp_period").summary()


def test_t_intervals_cover_a_school_level_effect_at_the_nominal_rate():
    """The Clustered-data design: 20 schools of 10, a school-level predictor, ICC about 0.2.

    A parametric bootstrap from one fitted model makes that model the truth; 1000 replicates
    give a Monte Carlo SE of 0.7 points, so coverage of 93.5 % (z intervals' in issue 12)
    would fail.
    """
    rng = np.random.default_rng(12)
    school = np.repeat(np.arange(20), 10)
    w = np.repeat(rng.normal(size=20), 10)
    y = 1 + 0.5 * w + np.repeat(rng.normal(0, 0.5, 20), 10) + rng.normal(0, 1, 200)
    data = pd.DataFrame({"y": y, "w": w, "school": school.astype(str)})
    model = mlmcourse.fit("y ~ w + (1 | school)", data)
    truth = model.fixef.loc["w", "estimate"]

    def covers(refit):
        row = refit.fixef.loc["w"]
        return float(row["ci_lower"] <= truth <= row["ci_upper"])

    n = 1000
    coverage = mlmcourse.bootstrap(model, covers, n=n, seed=3).replicates.mean().iloc[0]
    assert abs(coverage - 0.95) <= 3 * np.sqrt(0.95 * 0.05 / n)


# -- confint ---------------------------------------------------------------------------

@pytest.mark.parametrize("model_id", list(MODELS))
def test_profile_limits_match_lme4_within_one_percent_of_the_width(model_id):
    entry = MODELS[model_id]
    ours = with_r_names(profile_interval(model_id))
    assert set(ours.index) == {row["parameter"] for row in entry["confint_profile"]}
    unsure = non_monotonic(entry)
    for row in entry["confint_profile"]:
        if row["parameter"] in unsure:
            continue
        width = row["upper"] - row["lower"]
        assert ours.loc[row["parameter"], "lower"] == pytest.approx(
            row["lower"], abs=PROFILE_OF_WIDTH * width)
        assert ours.loc[row["parameter"], "upper"] == pytest.approx(
            row["upper"], abs=PROFILE_OF_WIDTH * width)


def test_where_lme4_calls_a_profile_non_monotonic_our_limit_solves_zeta_exactly():
    """lme4 interpolates between profile points that straddle a second branch (the county SD
    at zero); its limit for the correlation is then off.  Ours is where zeta is -1.96."""
    entry = MODELS["radon_uranium_slopes_reml"]
    name = "cor_floor.Intercept|county"
    assert name in non_monotonic(entry)
    profile = Profile(fitted("radon_uranium_slopes_reml"))
    w = profile.names.index(name)
    lower = profile_interval("radon_uranium_slopes_reml").loc[name, "lower"]
    start = profile.x_hat[np.arange(len(profile.x_hat)) != w]
    assert profile.zeta(w, lower, start)[0] == pytest.approx(-stats.norm.ppf(0.975), abs=1e-3)


def test_profile_of_a_singular_fit_reports_the_edges_without_failing():
    radon = mlmcourse.load_dataset("radon")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit("log_radon ~ floor + uranium + (uranium | county)", radon)
    table = model.confint()
    assert model.singular
    assert table.loc["sd_Intercept|county", "lower"] == 0
    assert table.loc["cor_uranium.Intercept|county"].tolist() == [-1, 1]
    assert np.all(np.isfinite(table.to_numpy()))


@pytest.mark.parametrize("model_id", list(MODELS))
def test_wald_limits_match_lme4(model_id):
    ours = with_r_names(fitted(model_id).confint(method="wald"))
    for row in MODELS[model_id]["confint_wald"]:
        if row["lower"] is None:
            assert ours.loc[row["parameter"]].isna().all()
            continue
        for side in ("lower", "upper"):
            assert ours.loc[row["parameter"], side] == pytest.approx(row[side],
                                                                     rel=WALD_RELATIVE)


def test_bootstrap_intervals_are_percentiles_of_the_replicates():
    model = fitted("sleep_intercepts_reml")
    table = model.confint(method="bootstrap", n=200, seed=4)
    assert list(table.index) == list(profile_interval("sleep_intercepts_reml").index)
    profile = profile_interval("sleep_intercepts_reml")
    widths = profile["upper"] - profile["lower"]
    # 200 replicates: the percentile limits agree with the profile's to a fraction of the width
    assert ((table - profile).abs().max(axis=1) < 0.25 * widths).all()


def test_a_higher_level_gives_a_wider_interval():
    model = fitted("sleep_intercepts_reml")
    narrow, wide = model.confint(level=0.8), model.confint(level=0.99)
    assert ((wide["upper"] - wide["lower"]) > (narrow["upper"] - narrow["lower"])).all()


# -- simulate and bootstrap -------------------------------------------------------------

def test_simulate_is_reproducible_with_a_seed_and_has_one_column_per_simulation():
    model = fitted("sleep_intercepts_reml")
    first, again = model.simulate(n=3, seed=9), model.simulate(n=3, seed=9)
    assert first.shape == (model.nobs, 3)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(model.simulate(n=3, seed=10))


def test_simulated_outcomes_have_the_models_marginal_mean_and_variance():
    model = fitted("sleep_intercepts_reml")
    sims = model.simulate(n=4000, seed=1).to_numpy()
    variance = model.varcorr["variance"].sum()  # between-subject plus residual
    mean = model.predict(random=False).to_numpy()
    # 4000 draws: the mean's SE is sqrt(variance / 4000), the variance's about 2.2 %
    assert np.abs(sims.mean(axis=1) - mean).max() < 4.5 * np.sqrt(variance / 4000)
    assert sims.var(axis=1).mean() == pytest.approx(variance, rel=0.02)


def test_glmm_simulations_are_proportions_of_the_trials():
    model = fitted("cbpp_period")
    sims = model.simulate(n=5, seed=2).to_numpy()
    trials = model._design.trials[:, None]
    assert np.allclose(sims * trials, np.round(sims * trials))
    assert sims.min() >= 0 and sims.max() <= 1


def test_a_bootstrap_refit_reaches_the_same_optimum_as_a_fresh_fit():
    model = fitted("sleep_slopes_reml")
    y = model.simulate(n=1, seed=5)["sim_1"]
    data = model.data.copy()
    data["Reaction"] = y.to_numpy()
    fresh = mlmcourse.fit(model.formula, data)
    assert refit_response(model, y.to_numpy()).llf == pytest.approx(fresh.llf, abs=1e-6)


def test_bootstrap_is_reproducible_and_names_its_columns_after_the_statistic():
    model = fitted("sleep_intercepts_reml")
    stat = lambda m: m.fixef["estimate"]  # noqa: E731
    first = mlmcourse.bootstrap(model, stat, n=20, seed=7)
    again = mlmcourse.bootstrap(model, stat, n=20, seed=7)
    assert list(first.replicates.columns) == ["Intercept", "Days"]
    pd.testing.assert_frame_equal(first.replicates, again.replicates)


def test_bootstrap_shows_no_progress_bar_when_not_interactive(capsys):
    mlmcourse.bootstrap(fitted("sleep_intercepts_reml"), lambda m: m.sigma, n=5, seed=1)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("comparison", REFERENCE["pbmodcomp"], ids=lambda c: c["id"])
def test_bootstrap_lrt_p_value_matches_pbmodcomp_within_monte_carlo_error(comparison):
    data = mlmcourse.load_dataset(comparison["data"])
    small = mlmcourse.fit(comparison["small"], data)
    large = mlmcourse.fit(comparison["large"], data)
    n = 400
    table = mlmcourse.compare(small, large, method="bootstrap", n=n, seed=11)
    row = table.loc[comparison["large"]]
    assert row["Chisq"] == pytest.approx(comparison["stat"], rel=1e-4)
    theirs = comparison["p_pb"]
    error = np.sqrt(row["mc_error"] ** 2 + theirs * (1 - theirs) / comparison["npos"])
    assert abs(row["p_bootstrap"] - theirs) <= 3 * error + 1 / (n + 1)
    assert row["replicates"] <= n
    assert row["mc_error"] == pytest.approx(
        np.sqrt(row["p_bootstrap"] * (1 - row["p_bootstrap"]) / row["replicates"]))


# -- bad input ---------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda m: m.confint(method="likelihood"), "profile"),
    (lambda m: m.confint(level=1.5), "level"),
    (lambda m: m.confint(level=0), "level"),
    (lambda m: m.confint(level="95%"), "level"),
    (lambda m: m.confint(method="bootstrap", n=0), "positive whole number"),
    (lambda m: m.confint(method="bootstrap", n=2.5), "positive whole number"),
    (lambda m: m.simulate(n=-1), "positive whole number"),
    (lambda m: mlmcourse.bootstrap(m, lambda f: f.sigma, n=True), "positive whole number"),
    (lambda m: mlmcourse.bootstrap(m, "sigma"), "function"),
])
def test_bad_inference_input_gets_a_clear_error(call, message):
    with pytest.raises(mlmcourse.FormulaError, match=message):
        call(fitted("sleep_intercepts_reml"))


def test_compare_names_its_methods_when_given_an_unknown_one():
    model = fitted("sleep_intercepts_reml")
    with pytest.raises(mlmcourse.FormulaError, match="bootstrap"):
        mlmcourse.compare(model, fitted("sleep_slopes_reml"), method="parametric")
