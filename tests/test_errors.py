"""Bad input gets a clear error that names the column, term or group."""
import warnings

import numpy as np
import pandas as pd
import pytest

import mlmcourse
from mlmcourse import FormulaError, ModelWarning


def test_unknown_column_names_the_column_and_close_matches(hsb):
    with pytest.raises(FormulaError, match=r"'sess'.*did you mean 'ses'"):
        mlmcourse.fit("mathach ~ sess + (1 | school)", hsb)


def test_unknown_grouping_factor_names_the_column(hsb):
    with pytest.raises(FormulaError, match=r"'schol'.*did you mean 'school'"):
        mlmcourse.fit("mathach ~ ses + (1 | schol)", hsb)


def test_unknown_column_in_a_random_term_names_the_term(hsb):
    with pytest.raises(FormulaError, match=r"'csex' in the random term '\(csex \| school\)'"):
        mlmcourse.fit("mathach ~ ses + (csex | school)", hsb)


def test_unknown_outcome_lists_the_columns_when_nothing_is_close(hsb):
    with pytest.raises(FormulaError, match=r"'zzz' in the outcome.*columns 'school'"):
        mlmcourse.fit("zzz ~ ses + (1 | school)", hsb)


def test_non_numeric_outcome_is_refused(hsb):
    with pytest.raises(FormulaError, match=r"outcome 'sector' must be numeric"):
        mlmcourse.fit("sector ~ ses + (1 | school)", hsb)


def test_grouping_factor_with_one_level_is_refused(sleep):
    one = sleep.assign(Subject="308")
    with pytest.raises(FormulaError, match=r"grouping factor 'Subject' has only one level"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", one)


def test_rows_with_missing_values_are_dropped_and_counted(sleep):
    holes = sleep.copy()
    holes.loc[[0, 5, 9], "Reaction"] = np.nan
    with pytest.warns(ModelWarning, match=r"Dropped 3 of 180 rows.*'Reaction' \(3\)"):
        model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", holes)
    assert model.nobs == 177


def test_missing_values_in_unused_columns_do_not_drop_rows(sleep):
    extra = sleep.assign(unused=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", extra)
    assert model.nobs == 180


def test_as_many_groups_as_rows_is_refused(sleep):
    first_day = sleep[sleep["Days"] == 0]
    with pytest.raises(FormulaError, match=r"'Subject' has 18 levels for 18 observations"):
        mlmcourse.fit("Reaction ~ 1 + (1 | Subject)", first_day)


def test_more_random_effects_than_rows_is_refused(sleep):
    two_days = sleep[sleep["Days"] < 2]
    with pytest.raises(FormulaError, match=r"'Subject' have 36 random effects.*only 36"):
        mlmcourse.fit("Reaction ~ Days + (Days | Subject)", two_days)


def test_more_covariance_parameters_than_groups_is_refused(sleep):
    two_subjects = sleep[sleep["Subject"].isin(["308", "309"])]
    with pytest.raises(FormulaError, match=r"3 variance and correlation parameters.*only 2 groups"):
        mlmcourse.fit("Reaction ~ Days + (Days | Subject)", two_subjects)


@pytest.mark.parametrize("formula, message", [
    ("Reaction ~ Days + (Days | Subject", "unbalanced parentheses"),
    ("Reaction ~ Days + Days | Subject", r"'\|' outside a random term"),
    ("Reaction ~ Days + (Days | )", "missing its grouping factor"),
    ("Reaction ~ Days + + (1 | Subject)", "empty term"),
])
def test_malformed_formula_is_refused_before_fitting(sleep, formula, message):
    with pytest.raises(FormulaError, match=message):
        mlmcourse.fit(formula, sleep)


def test_formula_without_random_term_points_to_ordinary_regression(sleep):
    with pytest.raises(FormulaError, match=r"no random term.*ols"):
        mlmcourse.fit("Reaction ~ Days", sleep)


def test_empty_data_is_refused(sleep):
    with pytest.raises(FormulaError, match="no rows"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.iloc[:0])


def test_data_that_is_not_a_data_frame_is_refused(sleep):
    with pytest.raises(FormulaError, match="pandas DataFrame"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.to_dict("list"))


def test_an_outcome_with_no_values_is_named(sleep):
    with pytest.raises(FormulaError, match="outcome 'Reaction' has no values"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.assign(Reaction=np.nan))


def test_all_rows_missing_is_refused(sleep):
    half = sleep.assign(Reaction=np.where(sleep.index % 2, np.nan, sleep["Reaction"]),
                        Days=np.where(sleep.index % 2, sleep["Days"], np.nan))
    with pytest.raises(FormulaError, match="Every row misses a value"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", half)


def test_collinear_fixed_columns_are_named(sleep):
    doubled = sleep.assign(Hours=sleep["Days"] * 24)
    with pytest.raises(FormulaError, match=r"'Hours'.*linear combinations"):
        mlmcourse.fit("Reaction ~ Days + Hours + (1 | Subject)", doubled)


def test_statsmodels_twin_of_crossed_random_slopes_is_refused_with_the_reason(sleep):
    crossed = sleep.assign(Block=(sleep["Days"] % 3).astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit("Reaction ~ Days + (Days | Subject) + (Days | Block)", crossed)
    with pytest.raises(FormulaError, match=r"'Subject' is crossed with 'Block'.*everything"):
        model.statsmodels
    assert model.fixef.shape[0] == 2


def test_statsmodels_twin_of_correlated_slopes_on_a_nested_factor_is_refused():
    hsb = mlmcourse.load_dataset("hsb").assign(
        half=lambda d: np.arange(len(d)) % 2, cls=lambda d: d["school"] + ":" + d["half"].astype(str))
    model = mlmcourse.fit("mathach ~ cses + (1 | school) + (cses | cls)", hsb)
    with pytest.raises(FormulaError, match=r"'cls' is nested in 'school'.*\(cses \|\| cls\)"):
        model.statsmodels


def test_statsmodels_twin_of_a_weighted_fit_is_refused(sleep):
    model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.assign(w=1.0), weights="w")
    with pytest.raises(FormulaError, match="no prior weights"):
        model.statsmodels


def test_bad_fixed_term_is_reported_as_a_formula_error(sleep):
    with pytest.raises(FormulaError, match=r"fixed part 'log\(Days \+ 1\)'.*'log'"):
        mlmcourse.fit("Reaction ~ log(Days + 1) + (1 | Subject)", sleep)


def test_prediction_for_an_unseen_group_warns_and_names_it(sleep):
    model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    new = pd.DataFrame({"Days": [1, 1], "Subject": ["308", "new-subject"]})
    with pytest.warns(ModelWarning, match=r"fixed part only: Subject 'new-subject'"):
        predicted = model.predict(new)
    fixed = model.fixef["estimate"]
    assert predicted.iloc[1] == pytest.approx(fixed["Intercept"] + fixed["Days"])


def test_prediction_needs_the_grouping_column(sleep):
    model = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    with pytest.raises(FormulaError, match="'Subject'"):
        model.predict(pd.DataFrame({"Days": [1]}))


def test_icc_of_a_random_slope_model_explains_itself(sleep):
    model = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)
    with pytest.raises(ValueError, match="one random intercept"):
        model.icc


def test_compare_refuses_models_of_different_outcomes(sleep):
    first = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    second = mlmcourse.fit("Days ~ Reaction + (1 | Subject)", sleep)
    with pytest.raises(FormulaError, match="different outcomes"):
        mlmcourse.compare(first, second)


def test_compare_refuses_models_fitted_to_different_rows(sleep):
    first = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)
    second = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.iloc[10:])
    with pytest.raises(FormulaError, match="different rows"):
        mlmcourse.compare(first, second)


def test_infinite_values_made_by_a_transformation_are_refused_with_the_term(sleep):
    with pytest.raises(FormulaError, match=r"'np.log\(Days\)'.*infinite in 18 rows"):
        mlmcourse.fit("Reaction ~ np.log(Days) + (1 | Subject)", sleep)


@pytest.mark.parametrize("value, word", [(-1.0, "negative"), (0.0, "zero"), (np.nan, "missing")])
def test_a_bad_weight_is_named_with_its_row_count(sleep, value, word):
    weights = np.ones(len(sleep))
    weights[:3] = value
    with pytest.raises(FormulaError, match=rf"weights column 'w' is {word} in 3 of 180 rows"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.assign(w=weights), weights="w")


def test_a_weights_column_that_is_not_in_the_data_is_named(sleep):
    with pytest.raises(FormulaError, match=r"Column 'wt' in weights= is not in the data"):
        mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep, weights="wt")
