"""Specification of mlmcourse.simulate and mlmcourse.faculty_salaries."""
import numpy as np
import pandas as pd
import pytest

import mlmcourse

BASE = {"n_groups": 5, "group_size": 4, "intercept": 1.0, "seed": 0}


def test_data_have_one_row_per_observation_and_columns_group_x_y():
    data = mlmcourse.simulate(**BASE)
    assert data.shape == (20, 3)
    assert data.columns.tolist() == ["group", "x", "y"]


def test_group_labels_are_strings_that_sort_in_group_order():
    data = mlmcourse.simulate(n_groups=12, group_size=1, intercept=0.0, seed=0)
    labels = data["group"].tolist()
    assert all(isinstance(label, str) for label in labels)
    assert labels == sorted(labels)
    assert len(set(labels)) == 12


def test_group_size_as_a_list_gives_each_group_its_size():
    data = mlmcourse.simulate(group_size=[3, 1, 7], intercept=0.0, seed=0)
    assert data.groupby("group").size().tolist() == [3, 1, 7]


def test_same_seed_gives_identical_data():
    pd.testing.assert_frame_equal(mlmcourse.simulate(**BASE), mlmcourse.simulate(**BASE))


def test_different_seeds_give_different_data():
    other = mlmcourse.simulate(**{**BASE, "seed": 1})
    assert not np.allclose(mlmcourse.simulate(**BASE)["y"], other["y"])


def test_names_rename_the_columns_of_data_and_effects():
    names = {"group": "school", "x": "ses", "y": "score"}
    data, effects = mlmcourse.simulate(**BASE, names=names, return_effects=True)
    assert data.columns.tolist() == ["school", "ses", "score"]
    assert effects.columns[0] == "school"


def test_effects_are_fixed_effects_plus_group_deviations():
    _, effects = mlmcourse.simulate(**BASE, slope=2.0, sd_intercept=1.0, sd_slope=0.5,
                                    return_effects=True)
    np.testing.assert_allclose(effects["intercept"], 1.0 + effects["u_intercept"])
    np.testing.assert_allclose(effects["slope"], 2.0 + effects["u_slope"])
    assert effects["n"].tolist() == [4] * 5


def test_without_residual_y_lies_exactly_on_each_groups_true_line():
    data, effects = mlmcourse.simulate(**BASE, slope=-1.5, sd_intercept=2.0, sd_slope=1.0,
                                       sd_resid=0.0, return_effects=True)
    line = data.merge(effects, on="group")
    np.testing.assert_allclose(data["y"], line["intercept"] + line["slope"] * line["x"])


def test_true_effects_have_the_stated_sds_and_correlation_with_many_groups():
    _, effects = mlmcourse.simulate(n_groups=20_000, group_size=1, intercept=0.0,
                                    sd_intercept=3.0, sd_slope=0.5, corr=-0.6, seed=7,
                                    return_effects=True)
    assert effects["u_intercept"].std() == pytest.approx(3.0, rel=0.03)
    assert effects["u_slope"].std() == pytest.approx(0.5, rel=0.03)
    assert effects["u_intercept"].corr(effects["u_slope"]) == pytest.approx(-0.6, abs=0.03)
    assert effects["u_intercept"].mean() == pytest.approx(0.0, abs=0.1)


def test_residuals_have_the_stated_sd_with_many_rows():
    data, effects = mlmcourse.simulate(n_groups=100, group_size=200, intercept=0.0,
                                       slope=1.0, sd_intercept=5.0, sd_resid=2.0, seed=3,
                                       return_effects=True)
    line = data.merge(effects, on="group")
    residual = data["y"] - line["intercept"] - line["slope"] * data["x"]
    assert residual.std() == pytest.approx(2.0, rel=0.03)


def test_x_as_a_tuple_is_uniform_on_that_range():
    data = mlmcourse.simulate(**{**BASE, "n_groups": 500}, x=(2.0, 5.0))
    assert data["x"].between(2.0, 5.0).all()
    assert data["x"].mean() == pytest.approx(3.5, abs=0.1)


def test_x_as_a_range_draws_only_those_values_and_all_of_them():
    data = mlmcourse.simulate(**{**BASE, "n_groups": 500}, x=range(10))
    assert sorted(data["x"].unique()) == list(range(10))


@pytest.mark.parametrize(("change", "message"), [
    ({"sd_intercept": -1.0}, r"sd_intercept .*cannot be negative"),
    ({"sd_slope": -0.1}, r"sd_slope .*cannot be negative"),
    ({"sd_resid": -2.0}, r"sd_resid .*cannot be negative"),
    ({"corr": 1.5}, r"corr .*between -1 and 1"),
    ({"corr": -1.01}, r"corr .*between -1 and 1"),
    ({"n_groups": 0}, r"n_groups must be a whole number of at least 1"),
    ({"n_groups": 2.5}, r"n_groups must be a whole number"),
    ({"group_size": 0}, r"group size must be a whole number of at least 1"),
    ({"group_size": [3, 0, 2, 1, 1]}, r"group size .* not 0"),
    ({"group_size": [3, 2]}, r"n_groups is 5 but group_size lists 2"),
    ({"intercept": float("nan")}, r"intercept must be a finite number"),
    ({"x": (3.0, 1.0)}, r"\(low, high\) with low < high"),
    ({"x": ["a", "b"]}, r"x must be a \(low, high\) tuple or a list of numbers"),
    ({"names": {"outcome": "score"}}, r"unknown key.*'outcome'"),
    ({"names": {"x": "y"}}, r"column names must differ"),
])
def test_bad_input_gets_a_clear_error_naming_the_argument(change, message):
    with pytest.raises(ValueError, match=message):
        mlmcourse.simulate(**{**BASE, **change})


def test_missing_n_groups_with_an_equal_group_size_is_explained():
    with pytest.raises(ValueError, match=r"Give n_groups"):
        mlmcourse.simulate(group_size=4, intercept=0.0, seed=0)


def test_faculty_salaries_has_eight_departments_of_15_to_30_faculty():
    sizes = mlmcourse.faculty_salaries().groupby("department").size()
    assert len(sizes) == 8
    assert sizes.between(15, 30).all()


def test_faculty_salaries_columns_and_ranges_are_realistic():
    salaries = mlmcourse.faculty_salaries()
    assert salaries.columns.tolist() == ["department", "years", "salary"]
    assert salaries["years"].between(0, 30).all()
    assert salaries["salary"].between(20_000, 250_000).all()


def test_intercepts_kind_gives_every_department_the_same_raise():
    _, departments = mlmcourse.faculty_salaries("intercepts", return_effects=True)
    assert departments["slope"].nunique() == 1
    assert departments["intercept"].nunique() == 8


def test_slopes_kind_gives_every_department_the_same_starting_salary():
    _, departments = mlmcourse.faculty_salaries("slopes", return_effects=True)
    assert departments["intercept"].nunique() == 1
    assert departments["slope"].nunique() == 8


def test_kinds_share_the_faculty_years_for_the_same_seed():
    both = mlmcourse.faculty_salaries("both", seed=5)
    slopes = mlmcourse.faculty_salaries("slopes", seed=5)
    pd.testing.assert_series_equal(both["years"], slopes["years"])


def test_unknown_kind_lists_the_kinds():
    with pytest.raises(ValueError, match=r"'both', 'intercepts', 'slopes'.*'random'"):
        mlmcourse.faculty_salaries("random")


def test_salary_parameters_are_the_ones_faculty_salaries_draws_from():
    truth = mlmcourse.salary_parameters("slopes")
    _, departments = mlmcourse.faculty_salaries("slopes", seed=3, return_effects=True)
    assert truth["sd_intercept"] == 0
    assert (departments["intercept"] == truth["intercept"]).all()
    assert abs(departments["slope"].mean() - truth["slope"]) < 3 * truth["sd_slope"]


def test_salary_parameters_refuse_an_unknown_kind():
    with pytest.raises(ValueError, match="'both', 'intercepts', 'slopes'"):
        mlmcourse.salary_parameters("raises")
