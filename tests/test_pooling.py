"""Specification of mlmcourse.pooling: no, partial and complete pooling side by side."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import mlmcourse


@pytest.fixture(scope="module")
def radon_means(radon):
    return mlmcourse.pooling(radon, y="log_radon", group="county")


@pytest.fixture(scope="module")
def radon_lines(radon):
    return mlmcourse.pooling(radon, y="log_radon", x="floor", group="county")


def balanced_groups():
    """Four kinds of group: 2 or 20 rows, mean +1 or -1, five of each.

    By symmetry the grand mean and the model's mean are both 0, so shrinkage can be
    compared across group sizes exactly.
    """
    rows = []
    for kind, (size, mean) in enumerate([(2, 1.0), (2, -1.0), (20, 1.0), (20, -1.0)]):
        for copy in range(5):
            spread = np.tile([-1.0, 1.0], size // 2) * (1 + 0.1 * copy)
            rows += [{"g": f"k{kind}c{copy}", "y": mean + s} for s in spread]
    return pd.DataFrame(rows)


def test_table_has_one_row_per_group_and_term_with_documented_columns(radon_lines, radon):
    assert radon_lines.columns.tolist() == [
        "county", "n", "term", "no_pooling", "partial_pooling", "complete_pooling"]
    assert len(radon_lines) == 2 * radon["county"].nunique()
    assert radon_lines["term"].unique().tolist() == ["Intercept", "floor"]


def test_group_sizes_are_the_rows_in_each_group(radon_means, radon):
    sizes = radon_means.set_index("county")["n"]
    pd.testing.assert_series_equal(sizes, radon.groupby("county").size(), check_names=False)


def test_without_x_no_pooling_is_each_group_mean_and_complete_is_the_grand_mean(
        radon_means, radon):
    table = radon_means.set_index("county")
    np.testing.assert_allclose(table["no_pooling"],
                               radon.groupby("county")["log_radon"].mean()[table.index])
    np.testing.assert_allclose(table["complete_pooling"], radon["log_radon"].mean())


def test_partial_estimates_lie_between_no_and_complete_pooling_for_every_group():
    data = mlmcourse.simulate(n_groups=30, group_size=6, intercept=2.0, sd_intercept=1.0,
                              seed=11)
    table = mlmcourse.pooling(data, y="y", group="group")
    low = np.minimum(table["no_pooling"], table["complete_pooling"])
    high = np.maximum(table["no_pooling"], table["complete_pooling"])
    assert (table["partial_pooling"].between(low - 1e-9, high + 1e-9)).all()
    assert (table["partial_pooling"] != table["no_pooling"]).all()


def test_small_groups_shrink_further_toward_the_grand_mean_than_large_groups():
    table = mlmcourse.pooling(balanced_groups(), y="y", group="g")
    shrinkage = ((table["no_pooling"] - table["partial_pooling"])
                 / (table["no_pooling"] - table["complete_pooling"]))
    assert shrinkage[table["n"] == 2].min() > shrinkage[table["n"] == 20].max()


def test_partial_pooling_shrinks_radon_counties_more_where_they_have_fewer_homes(radon_means):
    distance = (radon_means["no_pooling"] - radon_means["partial_pooling"]).abs()
    assert distance.corr(radon_means["n"], method="spearman") < -0.3


def test_with_x_complete_pooling_is_one_least_squares_line(radon_lines, radon):
    ols = smf.ols("log_radon ~ floor", radon).fit().params
    intercept = radon_lines.loc[radon_lines["term"] == "Intercept", "complete_pooling"]
    slope = radon_lines.loc[radon_lines["term"] == "floor", "complete_pooling"]
    np.testing.assert_allclose(intercept, ols["Intercept"])
    np.testing.assert_allclose(slope, ols["floor"])


def test_with_x_no_pooling_is_least_squares_with_a_common_slope(radon_lines, radon):
    design = pd.get_dummies(radon["county"], dtype=float).assign(floor=radon["floor"])
    solution, *_ = np.linalg.lstsq(design.to_numpy(), radon["log_radon"].to_numpy(), rcond=None)
    ols = pd.Series(solution, index=design.columns)
    table = radon_lines[radon_lines["term"] == "Intercept"].set_index("county")
    np.testing.assert_allclose(table["no_pooling"], ols[table.index], rtol=1e-8)
    slope = radon_lines.loc[radon_lines["term"] == "floor", "no_pooling"]
    np.testing.assert_allclose(slope, ols["floor"], rtol=1e-8)


def test_with_x_partial_pooling_is_each_groups_line_from_the_random_intercept_model(
        radon_lines, radon):
    shuffled = radon.sample(frac=1.0, random_state=np.random.default_rng(0))
    coef = mlmcourse.fit("log_radon ~ floor + (1 | county)", shuffled).coef
    table = radon_lines.pivot(index="county", columns="term", values="partial_pooling")
    np.testing.assert_allclose(table["Intercept"], coef.loc[table.index, "Intercept"],
                               rtol=1e-5)
    np.testing.assert_allclose(table["floor"], coef.loc[table.index, "floor"], rtol=1e-5)


def test_a_group_with_one_row_gets_a_no_pooling_intercept(radon_lines):
    single = radon_lines[(radon_lines["n"] == 1) & (radon_lines["term"] == "Intercept")]
    assert len(single) > 0
    assert single["no_pooling"].notna().all()


def test_missing_rows_are_dropped_and_counted_in_a_warning(radon):
    data = radon.copy()
    data.loc[:2, "log_radon"] = np.nan
    with pytest.warns(UserWarning, match=r"Dropped 3 row\(s\)"):
        table = mlmcourse.pooling(data, y="log_radon", group="county")
    assert table["n"].sum() == len(radon) - 3


def test_unknown_column_names_the_column_and_close_matches(radon):
    with pytest.raises(ValueError, match=r"'countyy' is not in the data.*'county'"):
        mlmcourse.pooling(radon, y="log_radon", group="countyy")


def test_non_numeric_outcome_is_refused_by_name(radon):
    with pytest.raises(ValueError, match=r"'county' must be numeric"):
        mlmcourse.pooling(radon, y="county", group="county_id")


def test_a_single_group_is_refused():
    data = pd.DataFrame({"g": ["a"] * 4, "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValueError, match=r"at least two groups in 'g'; found 1"):
        mlmcourse.pooling(data, y="y", group="g")


def test_x_that_never_varies_within_a_group_is_refused_by_name(radon):
    with pytest.raises(ValueError, match=r"'uranium' does not vary within any group"):
        mlmcourse.pooling(radon, y="log_radon", x="uranium", group="county")


def test_integer_group_labels_keep_their_type_and_get_partial_estimates(radon):
    table = mlmcourse.pooling(radon, y="log_radon", group="county_id")
    assert table["county_id"].tolist() == sorted(radon["county_id"].unique())
    assert table["partial_pooling"].notna().all()
