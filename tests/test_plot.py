"""Specifications for mlmcourse.plot: what each figure draws, and what it refuses.

Image comparisons run with ``pytest --mpl`` against ``tests/baseline/``; regenerate
the baselines with ``pytest tests/test_plot.py --mpl-generate-path=tests/baseline``
and look at them before committing.
"""
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Annotation

import mlmcourse
from mlmcourse import plot

IMAGE = dict(baseline_dir="baseline", tolerance=3, style="default",
             savefig_kwargs={"dpi": 72})
KINDS = ["intercepts", "slopes", "both"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def three_groups():
    """Three groups whose true lines differ in both intercept and slope, no noise."""
    x = np.tile(np.arange(5.0), 3)
    group = np.repeat(["a", "b", "c"], 5)
    intercept = np.repeat([0.0, 2.0, 4.0], 5)
    slope = np.repeat([1.0, 0.5, -1.0], 5)
    return pd.DataFrame({"x": x, "y": intercept + slope * x, "g": group})


def line_slopes(ax):
    slopes = []
    for line in ax.lines:
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        slopes.append((y[-1] - y[0]) / (x[-1] - x[0]))
    return slopes


# --- conventions shared by every figure --------------------------------------------


def test_drawing_a_figure_leaves_global_settings_alone(sleep):
    before = dict(matplotlib.rcParams)
    plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject")
    plot.lattice(sleep, x="Days", y="Reaction", group="Subject")
    assert dict(matplotlib.rcParams) == before


def test_a_given_axes_is_drawn_on_and_returned(sleep):
    fig, ax = plt.subplots()
    assert plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject", ax=ax) is ax
    assert len(fig.axes) == 1


def test_an_unknown_column_is_named_with_close_matches(sleep):
    with pytest.raises(ValueError, match=r"y='Reactoin'.*Did you mean 'Reaction'"):
        plot.spaghetti(sleep, x="Days", y="Reactoin", group="Subject")


def test_a_text_column_where_numbers_are_needed_is_an_error(sleep):
    with pytest.raises(TypeError, match=r"x='Subject' must be a numeric column"):
        plot.lines(sleep, x="Subject", y="Reaction", group="Subject")


def test_data_that_is_not_a_dataframe_is_an_error():
    with pytest.raises(TypeError, match="needs a pandas DataFrame"):
        plot.spaghetti([[1, 2]], x="Days", y="Reaction", group="Subject")


def test_rows_with_missing_values_are_dropped_and_counted(sleep):
    holes = sleep.copy()
    holes.loc[[0, 5, 7], "Reaction"] = np.nan
    with pytest.warns(UserWarning, match="dropped 3 of 180 rows"):
        ax = plot.spaghetti(holes, x="Days", y="Reaction", group="Subject")
    assert sum(len(line.get_xdata()) for line in ax.lines) == 177


# --- lines ---------------------------------------------------------------------------


def test_lines_draws_one_line_per_group_with_a_legend_entry_each(three_groups):
    ax = plot.lines(three_groups, x="x", y="y", group="g")
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")


def test_lines_for_many_groups_share_one_colour_and_have_no_legend(sleep):
    ax = plot.lines(sleep, x="Days", y="Reaction", group="Subject")
    assert len(ax.lines) == 18
    assert len({line.get_color() for line in ax.lines}) == 1
    assert ax.get_legend() is None


def test_lines_with_both_varying_recovers_each_groups_own_line(three_groups):
    ax = plot.lines(three_groups, x="x", y="y", group="g", kind="both")
    assert line_slopes(ax) == pytest.approx([1.0, 0.5, -1.0])


def test_lines_with_varying_intercepts_are_parallel(three_groups):
    ax = plot.lines(three_groups, x="x", y="y", group="g", kind="intercepts")
    assert np.ptp(line_slopes(ax)) == pytest.approx(0.0, abs=1e-12)


def test_lines_with_varying_slopes_share_one_intercept(three_groups):
    ax = plot.lines(three_groups, x="x", y="y", group="g", kind="slopes")
    starts = [line.get_ydata()[0] for line in ax.lines]
    assert np.ptp(starts) == pytest.approx(0.0, abs=1e-12)
    assert np.ptp(line_slopes(ax)) > 0.5


def test_lines_with_a_list_of_kinds_draws_one_labelled_panel_per_kind(three_groups):
    fig = plot.lines(three_groups, x="x", y="y", group="g", kind=KINDS)
    assert [ax.get_title() for ax in fig.axes] == ["varying intercepts", "varying slopes",
                                                   "varying both"]
    assert [len(ax.lines) for ax in fig.axes] == [3, 3, 3]
    assert len(fig.legends) == 1


def test_lines_takes_one_data_set_per_kind():
    kinds = ["intercepts", "slopes"]
    fig = plot.lines([mlmcourse.faculty_salaries(k) for k in kinds], x="years",
                     y="salary", group="department", kind=kinds)
    assert [len(ax.lines) for ax in fig.axes] == [8, 8]


def test_lines_refuses_a_different_number_of_data_sets_and_kinds(three_groups):
    with pytest.raises(ValueError, match="2 data sets for 3 kinds"):
        plot.lines([three_groups, three_groups], x="x", y="y", group="g", kind=KINDS)


def test_lines_refuses_an_unknown_kind(three_groups):
    with pytest.raises(ValueError, match="kind='slope' is not one of"):
        plot.lines(three_groups, x="x", y="y", group="g", kind="slope")


def test_lines_names_the_group_whose_slope_cannot_be_estimated(three_groups):
    flat = three_groups.copy()
    flat.loc[flat["g"] == "b", "x"] = 1.0
    with pytest.raises(ValueError, match=r"does not vary within some groups \(g 'b'\)"):
        plot.lines(flat, x="x", y="y", group="g", kind="both")


@pytest.mark.mpl_image_compare(**IMAGE)
def test_lines_faculty_salaries_picture_matches_baseline():
    return plot.lines([mlmcourse.faculty_salaries(k) for k in KINDS], x="years",
                      y="salary", group="department", kind=KINDS)


# --- spaghetti and lattice ----------------------------------------------------------


def test_spaghetti_draws_one_line_per_subject_through_all_its_points(sleep):
    ax = plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject")
    assert len(ax.lines) == 18
    assert {len(line.get_xdata()) for line in ax.lines} == {10}


def test_spaghetti_overall_adds_the_pooled_line(sleep):
    ax = plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject", overall=True)
    assert len(ax.lines) == 19
    assert ax.get_legend_handles_labels()[1][-1] == "all subjects"


def test_spaghetti_labels_axes_with_the_column_names(sleep):
    ax = plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Days", "Reaction")


@pytest.mark.mpl_image_compare(**IMAGE)
def test_spaghetti_matches_baseline(sleep):
    return plot.spaghetti(sleep, x="Days", y="Reaction", group="Subject",
                          overall=True).figure


def test_lattice_draws_one_panel_per_group_each_with_its_own_line(sleep):
    fig = plot.lattice(sleep, x="Days", y="Reaction", group="Subject")
    assert len(fig.axes) == 18
    assert [len(ax.lines) for ax in fig.axes] == [1] * 18
    assert sorted(ax.get_title() for ax in fig.axes) == sorted(sleep["Subject"].unique())


def test_lattice_panel_line_is_the_groups_least_squares_line(sleep):
    fig = plot.lattice(sleep, x="Days", y="Reaction", group="Subject", groups=["308"])
    one = sleep[sleep["Subject"] == "308"]
    slope, _ = np.polyfit(one["Days"], one["Reaction"], 1)
    assert line_slopes(fig.axes[0]) == pytest.approx([slope])


def test_lattice_lines_span_only_their_own_groups_x_values(sleep):
    short = sleep[(sleep["Subject"] != "308") | (sleep["Days"] <= 4)]
    fig = plot.lattice(short, x="Days", y="Reaction", group="Subject", groups=["308", "309"])
    assert [tuple(ax.lines[0].get_xdata()) for ax in fig.axes] == [(0, 4), (0, 9)]


def test_lattice_draws_chosen_groups_in_the_order_given(sleep):
    fig = plot.lattice(sleep, x="Days", y="Reaction", group="Subject",
                       groups=["372", "308"])
    assert [ax.get_title() for ax in fig.axes] == ["372", "308"]


def test_lattice_labels_the_shared_axes_once(sleep):
    fig = plot.lattice(sleep, x="Days", y="Reaction", group="Subject")
    assert (fig.get_supxlabel(), fig.get_supylabel()) == ("Days", "Reaction")


def test_lattice_with_too_many_groups_is_an_error(radon):
    with pytest.raises(ValueError, match=r"85 groups of 'county' are more than max_panels=36"):
        plot.lattice(radon, x="floor", y="log_radon", group="county")


def test_lattice_names_an_unknown_group_level(sleep):
    with pytest.raises(ValueError, match=r"Subject='999' is not a level"):
        plot.lattice(sleep, x="Days", y="Reaction", group="Subject", groups=["999"])


@pytest.mark.mpl_image_compare(**IMAGE)
def test_lattice_matches_baseline(sleep):
    return plot.lattice(sleep, x="Days", y="Reaction", group="Subject")


# --- pooling and shrinkage ----------------------------------------------------------

GH_COUNTIES = ["Lac Qui Parle", "Aitkin", "Koochiching", "Douglas",
               "Clay", "Stearns", "Ramsey", "St Louis"]


def test_pooling_draws_three_lines_in_each_chosen_groups_panel(radon):
    fig = plot.pooling(radon, y="log_radon", x="floor", group="county", groups=GH_COUNTIES)
    assert len(fig.axes) == 8
    assert [len(ax.lines) for ax in fig.axes] == [3] * 8


def test_pooling_panel_labels_give_the_group_sizes(radon):
    fig = plot.pooling(radon, y="log_radon", x="floor", group="county",
                       groups=["Lac Qui Parle", "St Louis"])
    sizes = radon["county"].value_counts()
    assert [ax.get_title() for ax in fig.axes] == [
        f"Lac Qui Parle (n = {sizes['Lac Qui Parle']})", f"St Louis (n = {sizes['St Louis']})"]


def test_pooling_legend_names_the_three_kinds_of_pooling(radon):
    fig = plot.pooling(radon, y="log_radon", x="floor", group="county", groups=["Clay"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "complete pooling", "no pooling", "partial pooling"]


def test_pooling_partial_line_lies_between_the_other_two(radon):
    fig = plot.pooling(radon, y="log_radon", x="floor", group="county",
                       groups=["Lac Qui Parle"])
    complete, none, partial = (line.get_ydata()[0] for line in fig.axes[0].lines)
    assert min(complete, none) < partial < max(complete, none)


def test_pooling_without_chosen_groups_spans_small_to_large_groups(radon):
    fig = plot.pooling(radon, y="log_radon", x="floor", group="county")
    sizes = [int(ax.get_title().split("n = ")[1].rstrip(")")) for ax in fig.axes]
    assert len(sizes) == 8
    assert sizes == sorted(sizes)
    assert (sizes[0], sizes[-1]) == (1, radon["county"].value_counts().max())


def test_pooling_with_too_many_chosen_groups_is_an_error(radon):
    counties = sorted(radon["county"].unique())
    with pytest.raises(ValueError, match=r"10 groups of 'county' are more than max_panels=9"):
        plot.pooling(radon, y="log_radon", x="floor", group="county", groups=counties[:10],
                     max_panels=9)


def test_pooling_names_an_unknown_column(radon):
    with pytest.raises(ValueError, match=r"x='flor'.*Did you mean 'floor'"):
        plot.pooling(radon, y="log_radon", x="flor", group="county")


@pytest.mark.mpl_image_compare(**IMAGE)
def test_pooling_radon_counties_picture_matches_baseline(radon):
    return plot.pooling(radon, y="log_radon", x="floor", group="county", groups=GH_COUNTIES)


def arrows(ax):
    return [t for t in ax.texts if isinstance(t, Annotation) and t.arrow_patch is not None]


@pytest.fixture(scope="module")
def radon_shrinkage(radon):
    return plot.shrinkage(radon, y="log_radon", group="county")


def test_shrinkage_draws_one_arrow_per_group(radon, radon_shrinkage):
    ax = radon_shrinkage
    assert len(arrows(ax)) == radon["county"].nunique()


def test_shrinkage_arrows_run_from_group_means_toward_the_models_mean(radon, radon_shrinkage):
    ax = radon_shrinkage
    overall = mlmcourse.fit("log_radon ~ 1 + (1 | county)", radon).fixef.at["Intercept",
                                                                          "estimate"]
    assert ax.lines[0].get_ydata()[0] == pytest.approx(overall)
    tails = sorted(arrow.xyann[1] for arrow in arrows(ax))
    assert tails == pytest.approx(sorted(radon.groupby("county")["log_radon"].mean()))
    for arrow in arrows(ax):
        assert abs(arrow.xy[1] - overall) <= abs(arrow.xyann[1] - overall) + 1e-9


def test_shrinkage_legend_and_axes_say_what_is_plotted(radon_shrinkage):
    ax = radon_shrinkage
    assert ax.get_legend_handles_labels()[1] == ["overall mean (model)", "no pooling",
                                                 "partial pooling"]
    assert ax.get_xlabel() == "rows per county (log scale)"
    assert ax.get_ylabel() == "log_radon"


def test_shrinkage_names_an_unknown_group_column(radon):
    with pytest.raises(ValueError, match=r"group='countty'.*Did you mean 'county'"):
        plot.shrinkage(radon, y="log_radon", group="countty")


@pytest.mark.mpl_image_compare(**IMAGE)
def test_shrinkage_matches_baseline(radon):
    return plot.shrinkage(radon, y="log_radon", group="county", x="floor").figure


# --- model-based figures --------------------------------------------------------------


@pytest.fixture(scope="module")
def sleep_slopes(sleep):
    return mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)


@pytest.fixture(scope="module")
def radon_intercepts(radon):
    return mlmcourse.fit("log_radon ~ floor + (1 | county)", radon)


@pytest.fixture(scope="module")
def pastes_nested():
    return mlmcourse.fit("strength ~ 1 + (1 | batch/cask)", mlmcourse.load_dataset("pastes"))


def test_lines_from_a_model_draws_its_group_coefficients(sleep_slopes):
    ax = plot.lines(model=sleep_slopes, x="Days")
    assert len(ax.lines) == 18
    assert line_slopes(ax) == pytest.approx(list(sleep_slopes.coef["Days"]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Days", "Reaction")


def test_lines_from_a_model_refuses_kind(sleep_slopes):
    with pytest.raises(ValueError, match="kind= or model=, not both"):
        plot.lines(model=sleep_slopes, x="Days", kind="both")


def test_lines_from_a_model_names_an_x_that_is_not_a_fixed_effect(sleep_slopes):
    with pytest.raises(ValueError, match=r"x='Dayz' is not a fixed effect"):
        plot.lines(model=sleep_slopes, x="Dayz")


def test_caterpillar_draws_one_panel_per_random_term(sleep_slopes, pastes_nested):
    assert [ax.get_title() for ax in plot.caterpillar(sleep_slopes).axes] == [
        "Subject: Intercept", "Subject: Days"]
    assert len(plot.caterpillar(pastes_nested).axes) == 2


def test_caterpillar_sorts_levels_and_draws_their_intervals(sleep_slopes):
    ax = plot.caterpillar(sleep_slopes).axes[0]
    modes = ax.lines[0].get_xdata()
    assert list(modes) == sorted(modes)
    segments = ax.collections[0].get_segments()
    assert len(segments) == 18
    intercepts = sleep_slopes.ranef.query("term == 'Intercept'").sort_values("estimate")
    widths = [segment[1, 0] - segment[0, 0] for segment in segments]
    assert widths == pytest.approx(list(2 * 1.96 * intercepts["se"]))


def test_caterpillar_labels_levels_with_their_names(sleep_slopes):
    ax = plot.caterpillar(sleep_slopes).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == sorted(sleep_slopes.ranef["level"].unique())


def test_caterpillar_refuses_something_that_is_not_a_fitted_model(sleep):
    with pytest.raises(TypeError, match=r"caterpillar\(\) needs a fitted model"):
        plot.caterpillar(sleep)


def test_caterpillar_names_an_unknown_grouping_factor(pastes_nested):
    with pytest.raises(ValueError, match=r"group='cask' is not a grouping factor"):
        plot.caterpillar(pastes_nested, group="cask")


@pytest.mark.mpl_image_compare(**IMAGE)
def test_caterpillar_matches_baseline(sleep_slopes):
    return plot.caterpillar(sleep_slopes)


@pytest.fixture(scope="module")
def sleep_diagnostics(sleep_slopes):
    return plot.diagnostics(sleep_slopes)


def test_diagnostics_draws_four_labelled_panels(sleep_diagnostics):
    fig = sleep_diagnostics
    assert len(fig.axes) == 4
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


def test_diagnostics_plots_every_residual_and_one_box_per_group(sleep_slopes,
                                                               sleep_diagnostics):
    fig = sleep_diagnostics
    assert len(fig.axes[0].collections[0].get_offsets()) == sleep_slopes.nobs
    assert len(fig.axes[3].patches) == 18


def test_diagnostics_shows_each_random_term_in_the_qq_legend(sleep_diagnostics):
    ax = sleep_diagnostics.axes[2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Intercept", "Days"]


def test_diagnostics_refuses_something_that_is_not_a_fitted_model():
    with pytest.raises(TypeError, match=r"diagnostics\(\) needs a fitted model"):
        plot.diagnostics("Reaction ~ Days + (Days | Subject)")


@pytest.mark.mpl_image_compare(**IMAGE)
def test_diagnostics_matches_baseline(radon_intercepts):
    return plot.diagnostics(radon_intercepts)


def test_variance_partition_first_share_is_the_icc(radon_intercepts):
    ax = plot.variance_partition(radon_intercepts)
    widths = [bars[0].get_width() for bars in ax.containers]
    assert widths[0] == pytest.approx(radon_intercepts.icc)
    assert sum(widths) == pytest.approx(1.0)


def test_variance_partition_has_one_segment_per_level(pastes_nested):
    ax = plot.variance_partition(pastes_nested)
    assert [bars.get_label() for bars in ax.containers] == [*pastes_nested.group_names,
                                                            "Residual"]


def test_variance_partition_refuses_a_random_slope_model(sleep_slopes):
    with pytest.raises(ValueError, match=r"random intercepts only: 'Days' varies by 'Subject'"):
        plot.variance_partition(sleep_slopes)


@pytest.mark.mpl_image_compare(**IMAGE)
def test_variance_partition_matches_baseline(pastes_nested):
    return plot.variance_partition(pastes_nested).figure


def test_diagnostics_draws_a_model_whose_first_factor_is_an_interaction(pastes):
    model = mlmcourse.fit("strength ~ 1 + (1 | batch:cask) + (1 | batch)", pastes)
    fig = mlmcourse.plot.diagnostics(model)
    assert len(fig.axes) == 4


def test_pooling_panels_accept_data_with_a_repeated_index(radon):
    shuffled = radon.set_axis(radon.index % 100)
    fig = mlmcourse.plot.pooling(shuffled, y="log_radon", x="floor", group="county",
                                 groups=["Aitkin", "Clay"])
    assert len(fig.axes) == 2


# --- growth-curve lattice and covariance heat maps ------------------------------------


@pytest.fixture(scope="module")
def sleep_model(sleep):
    return mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep)


def test_lattice_with_a_model_adds_its_fitted_trajectory_to_each_panel(sleep, sleep_model):
    fig = plot.lattice(sleep, x="Days", y="Reaction", group="Subject",
                       groups=["308", "309", "310"], model=sleep_model)
    assert [len(ax.lines) for ax in fig.axes] == [2, 2, 2]
    one = sleep[sleep["Subject"] == "309"].sort_values("Days")
    drawn = fig.axes[1].lines[1].get_ydata()
    assert np.asarray(drawn, float) == pytest.approx(sleep_model.predict(one).to_numpy())


def test_lattice_with_a_model_has_a_legend_naming_both_lines(sleep, sleep_model):
    fig = plot.lattice(sleep, x="Days", y="Reaction", group="Subject", groups=["308"],
                       model=sleep_model)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "own least-squares line", "multilevel model"]


def test_lattice_refuses_a_model_without_the_grouping_factor(sleep, sleep_model):
    renamed = sleep.rename(columns={"Subject": "person"})
    with pytest.raises(ValueError, match="group='person' is not a grouping factor"):
        plot.lattice(renamed, x="Days", y="Reaction", group="person", groups=["308"],
                     model=sleep_model)


@pytest.fixture(scope="module")
def two_matrices():
    times = [0, 1, 2]
    flat = pd.DataFrame(np.full((3, 3), 1.0) + np.eye(3), index=times, columns=times)
    growing = pd.DataFrame([[1.0, 1, 1], [1, 2, 2], [1, 2, 4]], index=times, columns=times)
    return {"flat": flat, "growing": growing}


def test_covariance_heatmaps_draws_one_labelled_panel_per_matrix_and_a_colour_bar(two_matrices):
    fig = plot.covariance_heatmaps(two_matrices)
    assert [ax.get_title() for ax in fig.axes[:2]] == ["flat", "growing"]
    assert len(fig.axes) == 3


def test_covariance_heatmaps_share_one_colour_scale(two_matrices):
    fig = plot.covariance_heatmaps(two_matrices)
    limits = {ax.images[0].get_clim() for ax in fig.axes[:2]}
    assert limits == {(1.0, 4.0)}


def test_covariance_heatmaps_write_every_value_in_its_cell(two_matrices):
    fig = plot.covariance_heatmaps(two_matrices, fmt=".1f")
    assert [t.get_text() for t in fig.axes[1].texts] == [
        "1.0", "1.0", "1.0", "1.0", "2.0", "2.0", "1.0", "2.0", "4.0"]
    assert not plot.covariance_heatmaps(two_matrices, annotate=False).axes[0].texts


def test_covariance_heatmaps_refuses_a_matrix_that_is_not_square(two_matrices):
    with pytest.raises(ValueError, match="matrix 'wide' must be square"):
        plot.covariance_heatmaps({"wide": two_matrices["flat"].iloc[:2]})


def test_covariance_heatmaps_refuses_something_that_is_not_a_dict(two_matrices):
    with pytest.raises(TypeError, match="needs a non-empty dict"):
        plot.covariance_heatmaps(list(two_matrices.values()))


# within_between and predicted_lines ------------------------------------------------------------

@pytest.fixture(scope="module")
def confounded():
    """Three groups whose means rise by 3 per unit of x while y rises by 1 within each group."""
    x = np.array([0.0, 1.0, 2.0] * 3) + np.repeat([0.0, 2.0, 4.0], 3)
    group = np.repeat(["a", "b", "c"], 3)
    y = (x - np.repeat([1.0, 3.0, 5.0], 3)) + 3 * np.repeat([1.0, 3.0, 5.0], 3)
    return pd.DataFrame({"x": x, "y": y, "g": group})


def test_within_between_segments_have_the_within_slope_and_the_dashed_line_the_between(confounded):
    ax = plot.within_between(confounded, x="x", y="y", group="g")
    solid, dashed = ax.lines[:3], ax.lines[3]
    for line in solid:
        (x0, x1), (y0, y1) = line.get_data()
        assert (y1 - y0) / (x1 - x0) == pytest.approx(1.0)
    (x0, x1), (y0, y1) = dashed.get_data()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(3.0)


def test_within_between_refuses_a_text_outcome(confounded):
    with pytest.raises(TypeError, match="y='g' must be a numeric column"):
        plot.within_between(confounded, x="x", y="g", group="g")


@pytest.fixture(scope="module")
def hsb_cross_level():
    hsb = mlmcourse.load_dataset("hsb")
    return mlmcourse.fit("mathach ~ cses * (sector + meanses) + (cses | school)", hsb)


def test_predicted_lines_have_the_slope_the_fixed_effects_imply(hsb_cross_level):
    ax = plot.predicted_lines(hsb_cross_level, x="cses",
                              at={"sector": ["Catholic", "Public"], "meanses": [-0.5, 0.5]})
    b = hsb_cross_level.fixef["estimate"]
    assert len(ax.lines) == 4
    public_rich = ax.lines[3]
    assert public_rich.get_label() == "sector = Public, meanses = 0.5"
    x, y = public_rich.get_data()
    expected = b["cses"] + b["cses:sector[T.Public]"] + 0.5 * b["cses:meanses"]
    assert np.polyfit(x, y, 1)[0] == pytest.approx(expected)


def test_predicted_lines_refuses_an_unknown_column_naming_it(hsb_cross_level):
    with pytest.raises(ValueError, match=r"at\['sektor'\]='sektor' is not a column"):
        plot.predicted_lines(hsb_cross_level, x="cses", at={"sektor": ["Public"]})


# --- membership (nested or crossed) ----------------------------------------------------


def test_membership_draws_one_dot_per_combination_that_has_observations(pastes):
    ax = plot.membership(pastes, x="batch", y="cask")
    assert len(ax.collections[0].get_offsets()) == 30


def test_membership_shows_nesting_as_a_staircase(pastes):
    offsets = plot.membership(pastes, x="batch", y="sample").collections[0].get_offsets()
    x, y = np.asarray(offsets).T
    assert len(np.unique(y)) == len(y)                 # each sample in one batch
    assert (np.diff(x[np.argsort(y)]) >= 0).all()      # rows sorted by their batch


def test_membership_dot_areas_grow_with_the_number_of_observations():
    data = pd.DataFrame({"a": ["p", "p", "p", "q"], "b": ["u", "u", "v", "v"]})
    sizes = plot.membership(data, x="a", y="b").collections[0].get_sizes()
    assert sizes.max() == pytest.approx(2 * sizes.min())


def test_membership_names_an_unknown_column(pastes):
    with pytest.raises(ValueError, match=r"y='casks' is not a column.*'cask'"):
        plot.membership(pastes, x="batch", y="casks")


def test_membership_refuses_the_same_column_twice(pastes):
    with pytest.raises(ValueError, match="two different columns"):
        plot.membership(pastes, x="batch", y="batch")


def test_membership_counts_the_levels_of_a_long_axis_instead_of_labelling_them():
    scotssec = mlmcourse.load_dataset("scotssec")
    ax = plot.membership(scotssec, x="second", y="primary")
    assert ax.get_ylabel() == "primary (148 levels)"
    assert len(ax.get_xticklabels()) == 19


# ---------------------------------------------------------------------------
# marginal_curves


@pytest.fixture(scope="module")
def cbpp_logistic():
    cbpp = mlmcourse.load_dataset("cbpp")
    return mlmcourse.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp,
                         family="binomial")


def test_marginal_curves_draws_one_curve_per_group_the_typical_group_and_the_average(
        cbpp_logistic):
    ax = plot.marginal_curves(cbpp_logistic, n_groups=7)
    assert len(ax.get_lines()) == 7 + 2
    assert ax.get_lines()[-1].get_label() == "average over groups"


def test_marginal_curves_average_is_flatter_than_the_typical_group_and_meets_it_at_one_half(
        cbpp_logistic):
    ax = plot.marginal_curves(cbpp_logistic, limits=(-1, 1))
    typical, average = (line.get_ydata() for line in ax.get_lines()[-2:])
    middle = len(typical) // 2
    assert average[middle] == pytest.approx(0.5, abs=1e-12)
    assert np.ptp(average) < np.ptp(typical)


def test_marginal_curves_average_is_the_mean_of_many_group_curves(cbpp_logistic):
    ax = plot.marginal_curves(cbpp_logistic, limits=(-3, 3))
    eta, average = ax.get_lines()[-1].get_data()
    tau = float(cbpp_logistic.varcorr["sd"].iloc[0])
    draws = np.random.default_rng(1).normal(0, tau, 200_000)
    by_simulation = [np.mean(1 / (1 + np.exp(-(e + draws)))) for e in eta[::50]]
    assert average[::50] == pytest.approx(by_simulation, abs=3e-3)


def test_marginal_curves_refuses_a_poisson_model():
    cbpp = mlmcourse.load_dataset("cbpp")
    model = mlmcourse.fit("incidence ~ period + offset(np.log(size)) + (1 | herd)", cbpp,
                          family="poisson")
    with pytest.raises(ValueError, match="family='binomial'.*'poisson'"):
        plot.marginal_curves(model)


def test_marginal_curves_refuses_a_random_slope():
    sleep = mlmcourse.load_dataset("sleepstudy")
    binary = sleep.assign(slow=(sleep["Reaction"] > 300).astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit("slow ~ Days + (Days | Subject)", binary, family="binomial")
    with pytest.raises(ValueError, match="random intercepts only: 'Days' varies by 'Subject'"):
        plot.marginal_curves(model)
