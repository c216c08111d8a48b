"""A refit to a new outcome (the bootstrap's and the power simulation's fast path) is a fit."""
import numpy as np
import pytest

import mlmcourse
from mlmcourse.models.bootstrap import refit_response


@pytest.mark.parametrize("formula", ["Reaction ~ Days + (1 | Subject)",
                                     "Reaction ~ Days + (Days | Subject)",
                                     "Reaction ~ Days + (Days || Subject)"])
def test_refit_to_a_new_outcome_matches_a_fresh_fit_to_it(formula):
    sleep = mlmcourse.load_dataset("sleepstudy")
    model = mlmcourse.fit(formula, sleep)
    y = model.simulate(seed=3)["sim_1"].to_numpy()
    refitted = refit_response(model, y)
    fresh = mlmcourse.fit(formula, sleep.assign(Reaction=y))
    np.testing.assert_allclose(refitted.llf, fresh.llf, rtol=1e-7)
    np.testing.assert_allclose(refitted.fixef["estimate"], fresh.fixef["estimate"], rtol=1e-5)


def test_a_refit_of_a_singular_fit_leaves_the_boundary_when_the_new_outcome_does():
    sleep = mlmcourse.load_dataset("sleepstudy")
    y = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep).simulate(seed=5)["sim_1"]
    noise = np.random.default_rng(5).normal(0, 40, len(sleep))
    noise -= sleep.assign(e=noise).groupby("Subject")["e"].transform("mean")  # equal subject means
    singular = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.assign(Reaction=250 + noise))
    assert singular.singular
    refitted = refit_response(singular, y.to_numpy())
    fresh = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", sleep.assign(Reaction=y))
    assert not refitted.singular
    np.testing.assert_allclose(refitted.llf, fresh.llf, rtol=1e-7)
