"""The fitting core: the profiled deviance by blocks equals a dense computation, by every path."""
import dataclasses
import warnings

import numpy as np
import pandas as pd
import patsy
import pytest

import mlmcourse
from mlmcourse.models.design import build_design
from mlmcourse.models.deviance import ProfiledDeviance
from mlmcourse.models.formula import parse_formula


def small_crossed(seed=1, n=120):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({"a": rng.integers(0, 9, n), "b": rng.integers(0, 5, n),
                         "x": rng.normal(size=n), "w": rng.uniform(0.5, 2, n)})
    data["c"] = data["a"].astype(str) + ":" + (data["x"] > 0).astype(str)
    data["y"] = data["x"] + rng.normal(size=9)[data["a"]] + rng.normal(size=n)
    return data


def design_of(formula, data, weights=None):
    design, _ = build_design(parse_formula(formula), data, patsy.EvalEnvironment.capture(),
                             weights)
    return design


def dense_deviance(design, theta, reml):
    """-2 log-likelihood profiled over beta and sigma, from V = I/w + Z Lambda Lambda' Z'."""
    blocks, lambdas = [], []
    for factor, piece in zip(design.factors, design.split_theta(theta)):
        blocks.append(factor.z_matrix().toarray())
        lambdas.append(np.kron(np.eye(len(factor.levels)), factor.template(piece)))
    Z, Lam = np.hstack(blocks), _block_diag(lambdas)
    X, y = design.X.to_numpy(float), design.y.to_numpy(float) - design.offset
    V = np.diag(1 / design.weights) + Z @ Lam @ Lam.T @ Z.T
    Vinv = np.linalg.inv(V)
    beta = np.linalg.solve(X.T @ Vinv @ X, X.T @ Vinv @ y)
    r = y - X @ beta
    n, p = X.shape
    m = n - p if reml else n
    value = np.linalg.slogdet(V)[1] + m * (1 + np.log(2 * np.pi * (r @ Vinv @ r) / m))
    return value + (np.linalg.slogdet(X.T @ Vinv @ X)[1] if reml else 0.0)


def _block_diag(mats):
    size = sum(m.shape[0] for m in mats)
    out, start = np.zeros((size, size)), 0
    for m in mats:
        out[start:start + len(m), start:start + len(m)] = m
        start += len(m)
    return out


FORMULAS = ["y ~ x + (1 | a)", "y ~ x + (x | a)", "y ~ x + (1 | a) + (1 | b)",
            "y ~ x + (x | a) + (x | b)", "y ~ x + (x || a) + (1 | b) + (1 | c)",
            "y ~ x + (1 | a/b)"]


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("formula", FORMULAS)
def test_the_blocked_deviance_equals_the_dense_formula(formula, reml):
    design = design_of(formula, small_crossed())
    theta = np.random.default_rng(2).uniform(0.2, 1.5, design.n_theta)
    assert ProfiledDeviance(design, reml)(theta) == pytest.approx(
        dense_deviance(design, theta, reml), rel=1e-10)


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_sparse_path_agrees_with_the_blocked_path_to_1e8(formula):
    design = design_of(formula, small_crossed())
    theta = np.random.default_rng(3).uniform(0.2, 1.5, design.n_theta)
    blocked = ProfiledDeviance(design, True)(theta)
    assert ProfiledDeviance(design, True, path="sparse")(theta) == pytest.approx(blocked, abs=1e-8)
    assert ProfiledDeviance(design, True, dense_limit=0)(theta) == pytest.approx(blocked, abs=1e-8)


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_core_given_a_new_outcome_equals_a_core_built_for_it(formula):
    """with_response (a bootstrap refit) must refresh every cross-product that holds y."""
    data = small_crossed()
    design = design_of(formula, data)
    y = pd.Series(np.random.default_rng(4).normal(size=len(data)), index=design.y.index)
    new = dataclasses.replace(design, y=y)
    theta = np.random.default_rng(5).uniform(0.2, 1.5, design.n_theta)
    for reml in (True, False):
        assert ProfiledDeviance(design, reml).with_response(new)(theta) == pytest.approx(
            ProfiledDeviance(new, reml)(theta), rel=1e-10)


def test_prior_weights_enter_the_deviance_as_residual_precisions():
    design = design_of("y ~ x + (x | a) + (1 | b)", small_crossed(), weights="w")
    theta = np.array([0.8, 0.1, 0.5, 0.7])
    for reml in (True, False):
        assert ProfiledDeviance(design, reml)(theta) == pytest.approx(
            dense_deviance(design, theta, reml), rel=1e-10)


def test_conditional_modes_and_variances_equal_the_dense_formulas():
    data = small_crossed()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit("y ~ x + (x | a) + (1 | b)", data)
    design, theta, sigma2 = model._design, model._theta, model.sigma ** 2
    Z = np.hstack([f.z_matrix().toarray() for f in design.factors])
    Lam = _block_diag([np.kron(np.eye(len(f.levels)), f.template(t))
                       for f, t in zip(design.factors, design.split_theta(theta))])
    X, y = design.X.to_numpy(float), design.y.to_numpy(float)
    A = Lam.T @ Z.T @ Z @ Lam + np.eye(len(Lam))
    b = Lam @ np.linalg.solve(A, Lam.T @ Z.T @ (y - X @ model.fixef["estimate"].to_numpy()))
    cond_var = sigma2 * np.diag(Lam @ np.linalg.solve(A, Lam.T))
    ours = np.concatenate([model._modes[f.name].ravel() for f in design.factors])
    assert ours == pytest.approx(b, abs=1e-8)
    ranef = model.ranef.set_index(["group", "level", "term"])
    first = design.factors[0]
    expected_se = np.sqrt(cond_var[: first.size].reshape(-1, first.k))
    for column, term in enumerate(["Intercept", "x"]):
        got = ranef.loc[first.name].xs(term, level="term")["se"].to_numpy()
        assert got == pytest.approx(expected_se[:, column], rel=1e-8)


def test_an_offset_is_the_same_fit_as_subtracting_it_from_the_outcome(sleep):
    data = sleep.assign(base=np.linspace(1, 2, len(sleep)))
    with_offset = mlmcourse.fit("Reaction ~ Days + offset(3 * base) + (Days | Subject)", data)
    shifted = mlmcourse.fit("y ~ Days + (Days | Subject)", data.assign(y=data.Reaction - 3 * data.base))
    assert with_offset.llf == pytest.approx(shifted.llf, abs=1e-8)
    assert with_offset.fixef["estimate"].to_numpy() == pytest.approx(
        shifted.fixef["estimate"].to_numpy(), rel=1e-7)
    assert (with_offset.fitted - shifted.fitted).to_numpy() == pytest.approx(3 * data.base)


def test_an_offset_is_evaluated_on_new_data(sleep):
    data = sleep.assign(base=1.0)
    model = mlmcourse.fit("Reaction ~ Days + offset(base) + (1 | Subject)", data)
    shifted = model.predict(data.assign(base=11.0), random=False)
    assert (shifted - model.predict(data, random=False)).to_numpy() == pytest.approx(10.0)


def test_a_large_simple_fit_is_not_a_false_convergence_alarm():
    rng = np.random.default_rng(11)
    n, groups = 200_000, 10_000
    g = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    y = 1 + 0.5 * x + rng.normal(size=groups)[g] + 0.3 * rng.normal(size=groups)[g] * x \
        + rng.normal(size=n)
    model = mlmcourse.fit("y ~ x + (x | g)", pd.DataFrame({"y": y, "x": x, "g": g}))
    assert model.converged and model.optimizers == ["BFGS"]


def test_a_predictor_on_a_very_different_scale_is_named_with_advice(sleep):
    with pytest.warns(mlmcourse.ModelWarning, match=r"'Hours' \(SD .*rescal"):
        mlmcourse.fit("Reaction ~ Hours + (1 | Subject)", sleep.assign(Hours=sleep.Days * 1e4))


def test_crossed_random_slopes_fit_and_keep_their_correlations(sleep):
    rng = np.random.default_rng(5)
    data = sleep.assign(Block=rng.integers(0, 6, len(sleep)).astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlmcourse.ModelWarning)
        model = mlmcourse.fit("Reaction ~ Days + (Days | Subject) + (Days | Block)", data)
    assert set(model.varcorr["group"]) == {"Subject", "Block", "Residual"}
    assert model.covariance("Block").shape == (2, 2)
