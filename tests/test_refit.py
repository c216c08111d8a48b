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
