"""mlmcourse.power: simulated power of Satterthwaite t tests, against closed forms."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlmcourse

N_GROUPS, GROUP_SIZE, TAU, SIGMA, EFFECT = 10, 5, 0.5, 1.0, 0.8
REPLICATES = 300


def balanced_design(n_groups=N_GROUPS, group_size=GROUP_SIZE):
    """Half the groups treated (w = +-1/2), x centred within every group."""
    group = np.repeat(np.arange(n_groups), group_size)
    return pd.DataFrame({"g": group, "w": np.where(group % 2 == 0, -0.5, 0.5),
                         "x": np.tile(np.linspace(-1, 1, group_size), n_groups)})


def level2_power_closed_form(effect, n_groups, group_size, tau, sigma, alpha=0.05):
    """The t test on the group means: variance 4 (tau^2 + sigma^2 / n) / J, J - 2 df."""
    se = np.sqrt(4 * (tau**2 + sigma**2 / group_size) / n_groups)
    df, crit = n_groups - 2, stats.t.ppf(1 - alpha / 2, n_groups - 2)
    return stats.nct.sf(crit, df, effect / se) + stats.nct.cdf(-crit, df, effect / se)


@pytest.fixture(scope="module")
def simulated():
    return mlmcourse.power("y ~ w + x + (1 | g)", balanced_design(), fixef={"w": EFFECT},
                           sd={"g": TAU}, sigma=SIGMA, n=REPLICATES, seed=1)


def test_power_of_a_balanced_level2_effect_matches_the_design_effect_closed_form(simulated):
    expected = level2_power_closed_form(EFFECT, N_GROUPS, GROUP_SIZE, TAU, SIGMA)
    row = simulated.loc["w"]
    assert abs(row["power"] - expected) < 3 * np.sqrt(expected * (1 - expected) / REPLICATES)


def test_refits_are_not_trapped_at_zero_by_a_singular_first_fit():
    # the placeholder outcome's fit to this design is singular; refits start at the truth
    table = mlmcourse.power("y ~ w + (1 | g)", balanced_design(12, 25), fixef={"w": 0.5},
                            sd={"g": 0.5}, n=200, seed=2)
    expected = level2_power_closed_form(0.5, 12, 25, 0.5, 1.0)
    assert abs(table.loc["w", "power"] - expected) < 3 * np.sqrt(expected * (1 - expected) / 200)


def test_an_effect_of_zero_is_rejected_at_about_the_level_of_the_test(simulated):
    assert abs(simulated.loc["x", "power"] - 0.05) < 3 * np.sqrt(0.05 * 0.95 / REPLICATES)


def test_the_table_holds_the_true_effects_and_the_monte_carlo_errors(simulated):
    assert simulated["effect"].to_dict() == {"w": EFFECT, "x": 0.0}
    p = simulated["power"]
    np.testing.assert_allclose(simulated["mc_error"], np.sqrt(p * (1 - p) / REPLICATES))


def test_the_same_seed_gives_the_same_power():
    run = lambda: mlmcourse.power("y ~ w + (1 | g)", balanced_design(), fixef={"w": 0.5},
                                  sd={"g": 0.5}, n=20, seed=7)
    pd.testing.assert_frame_equal(run(), run())


def test_terms_selects_the_effects_tested():
    table = mlmcourse.power("y ~ w + x + (1 | g)", balanced_design(), fixef={"w": 0.5},
                            sd={"g": 0.5}, terms="x", n=5, seed=1)
    assert table.index.tolist() == ["x"]


def test_an_unknown_fixed_effect_is_named():
    with pytest.raises(mlmcourse.FormulaError, match=r"'z'.*fixed effects"):
        mlmcourse.power("y ~ w + (1 | g)", balanced_design(), fixef={"z": 1}, sd={"g": 1}, n=5)


def test_a_random_slope_without_an_sd_is_named():
    with pytest.raises(mlmcourse.FormulaError, match=r"group 'g'.*missing \['x'\]"):
        mlmcourse.power("y ~ x + (x | g)", balanced_design(), fixef={"x": 1},
                        sd={"g": {"Intercept": 1}}, n=5)


def test_a_grouping_factor_not_in_the_formula_is_named():
    with pytest.raises(mlmcourse.FormulaError, match=r"'school'"):
        mlmcourse.power("y ~ w + (1 | g)", balanced_design(), fixef={}, sd={"g": 1, "school": 1},
                        n=5)


def test_an_untestable_term_is_named():
    with pytest.raises(mlmcourse.FormulaError, match=r"'v'.*not fixed effects"):
        mlmcourse.power("y ~ w + (1 | g)", balanced_design(), fixef={}, sd={"g": 1}, terms="v",
                        n=5)


def test_balanced_design_treats_half_the_groups_and_centres_x_in_each():
    design = mlmcourse.balanced_design(6, 4)
    assert design.groupby("group")["w"].first().value_counts().to_dict() == {-0.5: 3, 0.5: 3}
    np.testing.assert_allclose(design.groupby("group")["x"].agg(["mean", "std"]),
                               [[0.0, np.sqrt(4 / 3)]] * 6, atol=1e-12)


def test_balanced_design_needs_an_even_number_of_groups():
    with pytest.raises(ValueError, match="n_groups must be even"):
        mlmcourse.balanced_design(5, 4)
