"""Property tests: data simulated from known parameters are recovered by mlmcourse.fit.

Tolerances come from sampling error, not from our own output. Fixed effects must lie within
three of their reported standard errors. With 100 groups of 10 rows, and between-group SDs
large next to the residual SD over sqrt(10), an SD between groups is estimated to within
about 7.5% (one standard error), the residual SD within about 2.5%, and the intercept-slope
correlation within about 0.075; we allow about four standard errors.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlmcourse

GROUPS = {"n_groups": 100, "group_size": 10, "x": (-2.0, 2.0)}
SD_BETWEEN_RTOL = 0.3
SD_RESID_RTOL = 0.1
CORR_ATOL = 0.3


def varcorr_row(model, term):
    table = model.varcorr
    if term == "Residual":
        return table[table["group"] == "Residual"].iloc[0]
    return table[(table["group"] == "group") & (table["term"] == term)].iloc[0]


def assert_within_three_ses(model, term, truth):
    row = model.fixef.loc[term]
    assert abs(row["estimate"] - truth) < 3 * row["se"], (
        f"{term}: estimate {row['estimate']:.4g}, SE {row['se']:.3g}, truth {truth:.4g}")


@settings(max_examples=4, derandomize=True, deadline=None)
@given(intercept=st.floats(-50, 50), slope=st.floats(-5, 5),
       sd_intercept=st.floats(1, 4), seed=st.integers(0, 2**32 - 1))
def test_random_intercept_fixed_effects_lie_within_three_standard_errors(
        intercept, slope, sd_intercept, seed):
    data = mlmcourse.simulate(**GROUPS, intercept=intercept, slope=slope,
                              sd_intercept=sd_intercept, sd_resid=1.0, seed=seed)
    model = mlmcourse.fit("y ~ x + (1 | group)", data)
    assert_within_three_ses(model, "Intercept", intercept)
    assert_within_three_ses(model, "x", slope)


@settings(max_examples=4, derandomize=True, deadline=None)
@given(sd_resid=st.floats(0.5, 3), ratio=st.floats(1, 3), seed=st.integers(0, 2**32 - 1))
def test_random_intercept_sds_are_recovered_within_sampling_error(sd_resid, ratio, seed):
    sd_intercept = ratio * sd_resid
    data = mlmcourse.simulate(**GROUPS, intercept=1.0, slope=0.5, sd_intercept=sd_intercept,
                              sd_resid=sd_resid, seed=seed)
    model = mlmcourse.fit("y ~ x + (1 | group)", data)
    assert varcorr_row(model, "Intercept")["sd"] == pytest.approx(sd_intercept,
                                                                  rel=SD_BETWEEN_RTOL)
    assert varcorr_row(model, "Residual")["sd"] == pytest.approx(sd_resid, rel=SD_RESID_RTOL)


RANDOM_SLOPES = {"intercept": 10.0, "slope": 2.0, "sd_intercept": 2.0, "sd_slope": 1.0,
                 "corr": 0.5, "sd_resid": 1.0}


@pytest.fixture(scope="module", params=[101, 202, 303])
def random_slope_fit(request):
    data = mlmcourse.simulate(**GROUPS, **RANDOM_SLOPES, seed=request.param)
    return mlmcourse.fit("y ~ x + (x | group)", data)


def test_random_slope_fixed_effects_lie_within_three_standard_errors(random_slope_fit):
    assert_within_three_ses(random_slope_fit, "Intercept", RANDOM_SLOPES["intercept"])
    assert_within_three_ses(random_slope_fit, "x", RANDOM_SLOPES["slope"])


def test_random_slope_sds_are_recovered_within_sampling_error(random_slope_fit):
    intercept = varcorr_row(random_slope_fit, "Intercept")
    slope = varcorr_row(random_slope_fit, "x")
    assert intercept["sd"] == pytest.approx(RANDOM_SLOPES["sd_intercept"], rel=SD_BETWEEN_RTOL)
    assert slope["sd"] == pytest.approx(RANDOM_SLOPES["sd_slope"], rel=SD_BETWEEN_RTOL)
    assert varcorr_row(random_slope_fit, "Residual")["sd"] == pytest.approx(
        RANDOM_SLOPES["sd_resid"], rel=SD_RESID_RTOL)


def test_random_slope_correlation_is_recovered_within_sampling_error(random_slope_fit):
    corr = varcorr_row(random_slope_fit, "x")["corr"]
    assert corr == pytest.approx(RANDOM_SLOPES["corr"], abs=CORR_ATOL)


def test_random_intercept_conditional_modes_track_the_true_group_effects():
    data, effects = mlmcourse.simulate(**GROUPS, intercept=0.0, sd_intercept=2.0,
                                       seed=404, return_effects=True)
    coef = mlmcourse.fit("y ~ x + (1 | group)", data).coef
    truth = effects.set_index("group")["intercept"]
    assert np.corrcoef(coef.loc[truth.index, "Intercept"], truth)[0, 1] > 0.9
