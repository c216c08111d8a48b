"""Specifications for the model-checking figures of mlmcourse.plot: ranef_qq, ranef_against,
influence and variance_function (the checking-models chapter)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

import mlmcourse
from mlmcourse import plot


@pytest.fixture(scope="module")
def slopes(sleep):
    return mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)


@pytest.fixture(scope="module")
def intercepts(sleep):
    return mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep)


def test_ranef_qq_draws_the_sorted_modes_of_each_term_against_normal_quantiles(slopes):
    fig = plot.ranef_qq(slopes)
    days = slopes.ranef.query("term == 'Days'")["estimate"]
    points = fig.axes[1].lines[0]
    np.testing.assert_allclose(points.get_ydata(), np.sort(days))
    assert np.all(np.diff(points.get_xdata()) > 0)


def test_ranef_qq_reference_line_has_the_estimated_sd_as_slope(slopes):
    line = plot.ranef_qq(slopes).axes[0].lines[1]
    x, y = line.get_xdata(), line.get_ydata()
    assert (y[1] - y[0]) / (x[1] - x[0]) == pytest.approx(slopes.varcorr["sd"].iloc[0])


def test_ranef_qq_draws_on_the_axes_given(slopes):
    fig, axes = plt.subplots(1, 2)
    assert plot.ranef_qq(slopes, ax=axes) is fig


def test_ranef_qq_refuses_a_wrong_number_of_axes(slopes):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="2 panel"):
        plot.ranef_qq(slopes, ax=ax)


def test_ranef_against_finds_the_trend_of_intercepts_with_a_missing_level_two_predictor(hsb):
    model = mlmcourse.fit("mathach ~ cses + (1 | school)", hsb)
    line = plot.ranef_against(model, "meanses").axes[0].lines[-1]
    slope = np.diff(line.get_ydata())[0] / np.diff(line.get_xdata())[0]
    assert slope > 3  # schools with richer students score higher than the model says


def test_ranef_against_refuses_a_predictor_that_varies_within_groups(slopes):
    with pytest.raises(ValueError, match=r"x='Days' varies within Subject '308'"):
        plot.ranef_against(slopes, "Days")


def test_influence_labels_the_groups_with_the_largest_distances(slopes):
    table = mlmcourse.influence(slopes)
    ax = plot.influence(table, top=2)
    expected = table["cooks_distance"].nlargest(2).index
    assert [t.get_text() for t in ax.texts] == list(expected)


def test_influence_refuses_anything_but_an_influence_table(slopes):
    with pytest.raises(TypeError, match="cooks_distance"):
        plot.influence(slopes.fixef)


def test_variance_function_is_the_parabola_of_the_random_slope(slopes):
    line = plot.variance_function(slopes, x="Days", points=False).lines[0]
    x = np.asarray(line.get_xdata())
    G = slopes.covariance("Subject").to_numpy()
    expected = G[0, 0] + 2 * x * G[0, 1] + x**2 * G[1, 1] + slopes.sigma**2
    np.testing.assert_allclose(line.get_ydata(), expected)


def test_variance_function_of_random_intercepts_is_flat(intercepts):
    line = plot.variance_function(intercepts, x="Days").lines[0]
    np.testing.assert_allclose(line.get_ydata(), intercepts.varcorr["variance"].sum())


def test_variance_function_points_are_the_variance_of_marginal_residuals(slopes, sleep):
    points = plot.variance_function(slopes, x="Days").lines[1]
    marginal = sleep["Reaction"] - slopes.predict(random=False)
    np.testing.assert_allclose(points.get_ydata(), marginal.groupby(sleep["Days"]).var())


def test_variance_function_refuses_a_random_part_that_depends_on_another_column(sleep):
    data = sleep.assign(late=(sleep["Days"] > 4).astype(float) * sleep.index % 3)
    model = mlmcourse.fit("Reaction ~ Days + (late | Subject)", data)
    with pytest.raises(ValueError, match=r"depends on more than x='Days'"):
        plot.variance_function(model, x="Days")
