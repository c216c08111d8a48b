"""mlmcourse.fit and mlmcourse.compare: right answers, a small honest result API."""
import re
import warnings

import numpy as np
import pytest
from scipy import stats

import mlmcourse
from mlmcourse import ModelWarning


@pytest.fixture(scope="module")
def slopes(sleep):
    return mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)


@pytest.fixture(scope="module")
def intercepts(sleep):
    return mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)


# -- the right optimum -----------------------------------------------------------

def test_sleepstudy_reproduces_the_published_lme4_fit(slopes):
    # Bates et al. (2015), lme4 vignette: REML fit of the sleepstudy model (3 decimals).
    fixef, varcorr = slopes.fixef["estimate"], slopes.varcorr
    assert fixef["Intercept"] == pytest.approx(251.405, abs=1e-3)
    assert fixef["Days"] == pytest.approx(10.467, abs=1e-3)
    assert varcorr["sd"].tolist() == pytest.approx([24.741, 5.922, 25.592], abs=1e-3)
    assert varcorr["corr"].iloc[1] == pytest.approx(0.066, abs=1e-3)
    assert slopes.llf == pytest.approx(-871.814, abs=1e-3)
    assert slopes.reml and slopes.converged and not slopes.singular


def test_radon_slopes_reach_lme4s_optimum_where_statsmodels_defaults_stop_short(radon):
    import statsmodels.formula.api as smf
    formula = "log_radon ~ floor + uranium + (floor | county)"
    model = mlmcourse.fit(formula, radon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        default = smf.mixedlm("log_radon ~ floor + uranium", radon, groups="county",
                              re_formula="~floor").fit()
    assert model.llf == pytest.approx(-1064.32, abs=5e-3)  # lme4, as quoted in issue 3
    assert model.llf > default.llf + 0.1
    assert model.converged


def test_singular_is_judged_relative_to_the_residual_sd(sleep):
    # In seconds every SD is below statsmodels' absolute 0.01 threshold; the fit is fine.
    seconds = sleep.assign(Reaction=sleep["Reaction"] / 1000)
    model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", seconds)
    assert not model.singular
    assert model.varcorr["sd"].iloc[1] == pytest.approx(5.922 / 1000, rel=1e-3)


def test_a_boundary_fit_is_flagged_and_said_once_in_plain_words(radon):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = mlmcourse.fit("log_radon ~ floor + uranium + (uranium | county)", radon)
    assert model.singular
    assert [str(w.message)[:28] for w in caught] == ["Boundary (singular) fit: a r"]


def test_statsmodels_warnings_do_not_reach_the_user(radon):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = mlmcourse.fit("log_radon ~ floor + uranium + (floor | county)", radon)
        model.statsmodels.summary()


def test_uncorrelated_terms_are_the_same_model_in_both_spellings(sleep):
    double_bar = mlmcourse.fit("Reaction ~ Days + (Days || Subject)", sleep)
    spelled_out = mlmcourse.fit("Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)", sleep)
    assert double_bar.llf == pytest.approx(spelled_out.llf, abs=1e-6)
    assert double_bar.varcorr["corr"].isna().all()
    assert double_bar.covariance("Subject").loc["Intercept", "Days"] == 0


def test_nesting_by_slash_equals_nesting_by_unique_labels(pastes):
    slash = mlmcourse.fit("strength ~ 1 + (1 | batch/cask)", pastes)
    labels = mlmcourse.fit("strength ~ 1 + (1 | batch) + (1 | sample)", pastes)
    assert slash.group_names == ["batch", "batch:cask"]
    assert slash.ngroups == {"batch": 10, "batch:cask": 30}
    assert slash.llf == pytest.approx(labels.llf, abs=1e-6)


def test_crossed_random_intercepts_match_lme4(pastes):
    # lme4 1.1.31: lmer(strength ~ 1 + (1 | batch) + (1 | cask), pastes)
    model = mlmcourse.fit("strength ~ 1 + (1 | batch) + (1 | cask)", pastes)
    assert model.llf == pytest.approx(-150.7355, abs=1e-3)
    assert model.varcorr["sd"].tolist() == pytest.approx([1.83409, 0.38557, 2.70296], abs=1e-4)


def test_ml_fit_matches_lme4_information_criteria(sleep):
    # lme4 1.1.31: AIC and BIC of lmer(Reaction ~ Days + (Days | Subject), REML = FALSE)
    model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep, reml=False)
    assert not model.reml
    assert model.aic == pytest.approx(1763.939, abs=1e-3)
    assert model.bic == pytest.approx(1783.097, abs=1e-3)


def test_fixed_part_keeps_categories_interactions_and_transformations():
    hsb = mlmcourse.load_dataset("hsb")
    model = mlmcourse.fit("mathach ~ cses * sector + I(meanses ** 2) + np.log(size)"
                          " + (1 | school)", hsb)
    assert list(model.fixef.index) == ["Intercept", "sector[T.Public]", "cses",
                                       "cses:sector[T.Public]", "I(meanses ** 2)",
                                       "np.log(size)"]


# -- agreement with statsmodels at the same optimum -----------------------------

def test_log_likelihood_is_statsmodels_own_at_the_optimum(slopes):
    result = slopes.statsmodels
    assert result.model.loglike(result.params_object) == pytest.approx(slopes.llf, abs=1e-8)
    assert np.asarray(result.fe_params) == pytest.approx(slopes.fixef["estimate"].to_numpy())
    assert np.asarray(result.cov_re) == pytest.approx(slopes.covariance("Subject").to_numpy())


def test_conditional_modes_and_their_ses_match_statsmodels(slopes):
    result = slopes.statsmodels
    ranef = slopes.ranef.set_index(["level", "term"])
    for level, modes in result.random_effects.items():
        cov = result.random_effects_cov[level]
        for term, name in zip(["Intercept", "Days"], modes.index):
            assert ranef.loc[(level, term), "estimate"] == pytest.approx(modes[name], rel=1e-6)
            assert ranef.loc[(level, term), "se"] == pytest.approx(np.sqrt(cov.loc[name, name]),
                                                                   rel=1e-6)


# -- the result's tables ---------------------------------------------------------

def test_fixef_has_t_tests_and_intervals_with_satterthwaite_df(slopes):
    table = slopes.fixef
    assert list(table.columns) == ["estimate", "se", "df", "t", "p", "ci_lower", "ci_upper"]
    t = table["estimate"] / table["se"]
    assert table["t"].to_numpy() == pytest.approx(t.to_numpy())
    assert table["p"].to_numpy() == pytest.approx(2 * stats.t.sf(np.abs(t), table["df"]))
    assert (table["ci_upper"] - table["estimate"]).to_numpy() == pytest.approx(
        stats.t.ppf(0.975, table["df"]) * table["se"].to_numpy())


def test_varcorr_has_a_row_per_term_and_the_residual_last(slopes):
    table = slopes.varcorr
    assert list(table.columns) == ["group", "term", "variance", "sd", "corr"]
    assert table[["group", "term"]].values.tolist() == [
        ["Subject", "Intercept"], ["Subject", "Days"], ["Residual", ""]]
    assert table["sd"].to_numpy() == pytest.approx(np.sqrt(table["variance"].to_numpy()))


def test_ranef_is_tidy_with_one_row_per_level_and_term(slopes):
    assert list(slopes.ranef.columns) == ["group", "level", "term", "estimate", "se"]
    assert len(slopes.ranef) == 18 * 2


def test_coef_adds_conditional_modes_to_fixed_effects(slopes):
    mode = slopes.ranef.query("level == '308' and term == 'Days'")["estimate"].iloc[0]
    assert slopes.coef.loc["308", "Days"] == pytest.approx(slopes.fixef.loc["Days", "estimate"]
                                                           + mode)
    assert list(slopes.coef.columns) == ["Intercept", "Days"]


def test_icc_is_the_between_share_of_variance(intercepts):
    variance = intercepts.varcorr["variance"]
    assert intercepts.icc == pytest.approx(variance.iloc[0] / variance.sum())


def test_fitted_and_residuals_add_up_to_the_outcome(slopes, sleep):
    assert (slopes.fitted + slopes.resid).to_numpy() == pytest.approx(sleep["Reaction"].to_numpy())


def test_prediction_on_the_fitting_data_gives_the_fitted_values(slopes, sleep):
    assert slopes.predict(sleep).to_numpy() == pytest.approx(slopes.fitted.to_numpy())


def test_prediction_without_random_effects_is_the_fixed_part(slopes, sleep):
    fixed = slopes.fixef["estimate"]
    expected = fixed["Intercept"] + fixed["Days"] * sleep["Days"]
    assert slopes.predict(sleep, random=False).to_numpy() == pytest.approx(expected.to_numpy())


def test_data_holds_the_rows_actually_used(sleep):
    holes = sleep.copy()
    holes.loc[[3, 4], "Days"] = np.nan
    with pytest.warns(ModelWarning):
        model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", holes)
    assert 3 not in model.data.index and len(model.data) == model.nobs == 178


def test_summary_is_compact_deterministic_and_dateless(slopes, sleep):
    text = slopes.summary()
    again = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep).summary()
    assert text == again
    assert "Formula: Reaction ~ Days + (Days | Subject)" in text
    assert "REML criterion: 1743.6" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text)
    assert len(text.splitlines()) < 25


# -- compare ---------------------------------------------------------------------

def test_compare_is_lme4s_anova_refitting_reml_fits_with_ml(intercepts, slopes, sleep):
    table = mlmcourse.compare(slopes, intercepts)
    ml_small = mlmcourse.fit(intercepts.formula, sleep, reml=False)
    ml_large = mlmcourse.fit(slopes.formula, sleep, reml=False)
    assert table.index.tolist() == [intercepts.formula, slopes.formula]
    assert table["logLik"].tolist() == pytest.approx([ml_small.llf, ml_large.llf], abs=1e-6)
    row = table.iloc[1]
    assert row["Chisq"] == pytest.approx(42.14, abs=5e-3)  # lme4 1.1.31: anova(m0, m1)
    assert row["p"] == pytest.approx(stats.chi2.sf(row["Chisq"], 2))
    assert row["p"] == pytest.approx(7.07e-10, rel=1e-2)


def test_compare_has_lme4s_columns(intercepts, slopes):
    table = mlmcourse.compare(intercepts, slopes)
    assert list(table.columns) == ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "p"]


def test_compare_reports_aic_and_bic_under_ml(intercepts, slopes, sleep):
    table = mlmcourse.compare(intercepts, slopes)
    ml = mlmcourse.fit(slopes.formula, sleep, reml=False)
    assert table["AIC"].iloc[1] == pytest.approx(ml.aic)
    assert table["BIC"].iloc[1] == pytest.approx(ml.bic)
    assert table["deviance"].iloc[1] == pytest.approx(-2 * ml.llf)


def test_compare_mixture_tests_a_random_slope_on_the_boundary_with_reml(intercepts, slopes):
    table = mlmcourse.compare(slopes, intercepts, method="mixture")
    chisq = 2 * (slopes.llf - intercepts.llf)
    row = table.iloc[1]
    assert row["Chisq"] == pytest.approx(chisq)
    assert row["Df"] == 2
    assert row["p"] == pytest.approx(0.5 * stats.chi2.sf(chisq, 1) + 0.5 * stats.chi2.sf(chisq, 2))
    assert row["note"].startswith("REML") and "mixture" in row["note"]


def test_compare_mixture_uses_ml_when_fixed_parts_differ(sleep):
    small = mlmcourse.fit("Reaction ~ 1 + (1 | Subject)", sleep)
    large = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    table = mlmcourse.compare(small, large, method="mixture")
    ml_large = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep, reml=False)
    assert table["logLik"].iloc[1] == pytest.approx(ml_large.llf)
    assert table["p"].iloc[1] == pytest.approx(stats.chi2.sf(table["Chisq"].iloc[1], 1))
    assert table["note"].iloc[1] == "ML"


def test_compare_mixture_tests_a_correlation_with_the_plain_chi_square(sleep, slopes):
    uncorrelated = mlmcourse.fit("Reaction ~ Days + (Days || Subject)", sleep)
    row = mlmcourse.compare(uncorrelated, slopes, method="mixture").iloc[1]
    assert row["Df"] == 1
    assert row["p"] == pytest.approx(stats.chi2.sf(row["Chisq"], 1))
    assert "mixture" not in row["note"]


def test_compare_refuses_an_unknown_method(intercepts, slopes):
    with pytest.raises(mlmcourse.FormulaError, match="'lrt'.*not 'wald'"):
        mlmcourse.compare(intercepts, slopes, method="wald")


def test_conditional_modes_match_lme4(slopes):
    # lme4 1.1.31: ranef(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))$Subject["308", ]
    ranef = slopes.ranef.set_index(["level", "term"])["estimate"]
    assert ranef[("308", "Intercept")] == pytest.approx(2.2585, abs=1e-3)
    assert ranef[("308", "Days")] == pytest.approx(9.1989, abs=1e-3)


def test_nested_conditional_modes_are_labelled_by_both_factors(pastes):
    model = mlmcourse.fit("strength ~ 1 + (1 | batch/cask)", pastes)
    inner = model.ranef[model.ranef["group"] == "batch:cask"]
    assert len(inner) == 30 and "A:a" in set(inner["level"])
    predicted = model.predict(pastes)
    assert predicted.to_numpy() == pytest.approx(model.fitted.to_numpy())


def test_an_optimum_that_is_not_flat_is_reported_as_not_converged(sleep, monkeypatch):
    from mlmcourse.models import optimize
    stay = lambda deviance, start, *args, **kwargs: start  # noqa: E731 - optimizers that never move
    for name in ["_bfgs", "_powell", "_nelder_mead"]:
        monkeypatch.setattr(optimize, name, stay)
    with pytest.warns(ModelWarning, match="did not reach a point where the likelihood is flat"):
        model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    assert not model.converged
    assert "Note: The optimizer did not reach" in model.summary()


def test_compare_refits_a_formula_that_calls_the_users_own_function(sleep):
    def weeks(days):
        return days / 7

    small = mlmcourse.fit("Reaction ~ 1 + (1 | Subject)", sleep)
    large = mlmcourse.fit("Reaction ~ weeks(Days) + (1 | Subject)", sleep)
    table = mlmcourse.compare(small, large)
    assert table["Df"].iloc[1] == 1
    assert table["logLik"].iloc[1] == pytest.approx(
        mlmcourse.fit("Reaction ~ weeks(Days) + (1 | Subject)", sleep, reml=False).llf)


def test_compare_decides_the_boundary_test_for_each_pair_not_the_whole_table(hsb):
    m3 = mlmcourse.fit("mathach ~ cses + (1 | school)", hsb, reml=False)
    m4 = mlmcourse.fit("mathach ~ cses + (cses || school)", hsb, reml=False)
    m5 = mlmcourse.fit("mathach ~ cses + meanses + (cses | school)", hsb, reml=False)
    pair = mlmcourse.compare(m3, m4, method="mixture")
    table = mlmcourse.compare(m3, m4, m5, method="mixture")
    assert table["p"].iloc[1] == pytest.approx(pair["p"].iloc[1])
    assert "mixture" in table["note"].iloc[1]
    assert "mixture" not in table["note"].iloc[2]


def test_compare_uses_the_ordinary_chi_square_when_two_variances_are_added(hsb):
    small = mlmcourse.fit("mathach ~ cses + female + (1 | school)", hsb)
    large = mlmcourse.fit("mathach ~ cses + female + (cses + female || school)", hsb)
    table = mlmcourse.compare(small, large, method="mixture")
    assert table["Df"].iloc[1] == 2
    assert "mixture" not in table["note"].iloc[1]


def test_integer_group_labels_keep_their_values_and_numeric_order(sleep):
    numbered = sleep.assign(Subject=sleep["Subject"].astype(int))
    model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", numbered)
    assert model.coef.index.tolist() == sorted(numbered["Subject"].unique())
    assert model.coef.loc[308, "Intercept"] == pytest.approx(
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep).coef.loc["308", "Intercept"])


def test_a_python_variable_in_the_formula_is_looked_up_where_fit_was_called(sleep):
    hours_per_day = 24
    model = mlmcourse.fit("Reaction ~ I(Days * hours_per_day) + (1 | Subject)", sleep)
    per_day = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    assert model.fixef["estimate"].iloc[1] * 24 == pytest.approx(per_day.fixef["estimate"].iloc[1])
