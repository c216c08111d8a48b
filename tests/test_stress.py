"""Hard data sets, as a new user would bring them: fit reaches the optimum and says it did.

Each design is seeded. "The optimum" is checked against an independent search: Nelder-Mead on
the same deviance from several random starts, and the fit must be at least as good.
"""
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import mlmcourse


def simulate(kind, seed):
    rng = np.random.default_rng(seed)
    n_groups, size = {"small_groups": (60, 3), "unbalanced": (30, None)}.get(kind, (25, 8))
    sizes = rng.integers(1, 30, n_groups) if size is None else np.full(n_groups, size)
    g = np.repeat(np.arange(n_groups), sizes)
    n = len(g)
    x = rng.normal(size=n)
    sd0, sd1, rho = {"near_zero_variance": (0.01, 0.3, 0.0), "correlation_near_one": (1, 0.5, 0.99),
                     "correlation_near_minus_one": (1, 0.5, -0.99)}.get(kind, (1.0, 0.5, 0.3))
    cov = [[sd0 ** 2, rho * sd0 * sd1], [rho * sd0 * sd1, sd1 ** 2]]
    b = rng.multivariate_normal([0, 0], cov, size=n_groups)
    y = 2 + x + b[g, 0] + b[g, 1] * x + rng.normal(size=n)
    data = pd.DataFrame({"y": y, "x": x, "g": g.astype(str),
                         "h": rng.integers(0, 7, n).astype(str)})
    if kind == "badly_scaled_x":
        data["x"] = data["x"] * 1e4
    return data


KINDS = ["small_groups", "unbalanced", "near_zero_variance", "correlation_near_one",
         "correlation_near_minus_one", "badly_scaled_x"]


def independent_minimum(deviance, n_theta, seed):
    rng = np.random.default_rng(seed)
    best = np.inf
    for _ in range(3):
        found = optimize.minimize(deviance, rng.uniform(-1.5, 1.5, n_theta), method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-12, "maxfev": 4000})
        best = min(best, found.fun)
    return best


@pytest.mark.parametrize("formula", ["y ~ x + (x | g)", "y ~ x + (x | g) + (1 | h)"])
@pytest.mark.parametrize("kind", KINDS)
def test_fit_reaches_at_least_an_independent_search_and_says_it_converged(kind, formula):
    data = simulate(kind, seed=KINDS.index(kind))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit(formula, data, reml=False)
    deviance = model._deviance
    assert -2 * model.llf <= independent_minimum(deviance, deviance.n_theta, 7) + 1e-6
    assert model.converged
