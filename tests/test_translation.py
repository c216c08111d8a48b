"""The appendix "From lme4 and statsmodels": its table says what its cells and R script run.

Every lme4 line of the table is run exactly as printed by `reference/translation.R`, every
mlmcourse line runs in the appendix's notebook (nbval re-runs it), and the numbers lme4 gave
(`reference/translation.json`) are what the mlmcourse lines give.
"""
import json
import re
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest

import mlmcourse

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = nbformat.read(ROOT / "chapters" / "from-lme4.ipynb", as_version=4)
R_SCRIPT = (ROOT / "reference" / "translation.R").read_text()
RECORDED = json.loads((ROOT / "reference" / "translation.json").read_text())
LME4, LME4_WARNED = RECORDED["tasks"], RECORDED["warnings"]


def squeeze(text):
    return re.sub(r"\s+", " ", text).strip()


def table_rows():
    """(task, lme4, mlmcourse) of each row of the appendix's list-table."""
    source = next(c.source for c in NOTEBOOK.cells
                  if c.cell_type == "markdown" and "{list-table}" in c.source)
    rows = re.findall(r"^\* - (.+)\n  - `(.+)`\n  - `(.+)`\n", source, re.M)
    return [row for row in rows if row[0] != "task"]


ROWS = table_rows()
CODE = squeeze(" ".join(c.source for c in NOTEBOOK.cells if c.cell_type == "code"))
DATA = {"sleep": "sleepstudy", "pastes": "pastes", "scotssec": "scotssec", "hsb": "hsb",
        "radon": "radon", "contraception": "contraception", "cbpp": "cbpp"}


@pytest.fixture(scope="module")
def namespace():
    names = {name: mlmcourse.load_dataset(data) for name, data in DATA.items()}
    names.update(mlmcourse=mlmcourse, np=np)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names["m"] = mlmcourse.fit("Reaction ~ Days + (Days | Subject)", names["sleep"])
        names["m0"] = mlmcourse.fit("Reaction ~ Days + (1 | Subject)", names["sleep"])
    return names


def evaluate(expression, namespace):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(expression, dict(namespace))


def test_the_table_has_a_row_for_every_task_the_r_script_records():
    assert sorted(task for task, _, _ in ROWS) == sorted(LME4)


@pytest.mark.parametrize("task, lme4, python", ROWS, ids=[row[0] for row in ROWS])
def test_every_lme4_line_is_run_by_the_r_script_as_printed(task, lme4, python):
    assert squeeze(lme4) in squeeze(R_SCRIPT)


@pytest.mark.parametrize("task, lme4, python", ROWS, ids=[row[0] for row in ROWS])
def test_every_mlmcourse_line_runs_in_the_appendix(task, lme4, python):
    assert squeeze(python) in CODE


FITS = [row for row in ROWS if row[2].startswith("mlmcourse.fit(")]


@pytest.mark.parametrize("task, lme4, python", FITS, ids=[row[0] for row in FITS])
def test_every_fit_in_the_table_reaches_lme4s_answer(task, lme4, python, namespace):
    model = evaluate(python, namespace)
    reference = LME4[task]
    np.testing.assert_allclose(model.fixef["estimate"], reference["fixef"], rtol=1e-3, atol=1e-6)
    if "nagq" in python:  # lme4 1.1-31 prints a quadrature fit's logLik on another scale
        return
    if task in LME4_WARNED:  # lme4 said it had not converged: fit must do at least as well
        assert model.llf >= reference["loglik"] - 1e-3
    else:
        assert model.llf == pytest.approx(reference["loglik"], abs=1e-3)


def test_satterthwaite_df_are_lmertests(namespace):
    df = evaluate('m.fixef[["df", "t", "p"]]', namespace)["df"]
    np.testing.assert_allclose(df, LME4["Satterthwaite t tests"], rtol=0.02)


def test_the_likelihood_ratio_statistic_is_lme4s_anova(namespace):
    table = evaluate("mlmcourse.compare(m0, m)", namespace)
    assert table["Chisq"].iloc[1] == pytest.approx(LME4["likelihood-ratio test"], abs=1e-3)


def test_profile_lower_limits_are_lme4s(namespace):
    intervals = evaluate('m.confint(method="profile")', namespace)
    width = (intervals["upper"] - intervals["lower"]).to_numpy()
    gap = np.abs(intervals["lower"].to_numpy() - LME4["profile intervals"])
    assert np.all(gap <= 0.01 * width)


def test_wald_intervals_of_the_fixed_effects_are_lme4s(namespace):
    intervals = evaluate('m.confint(method="wald")', namespace)
    np.testing.assert_allclose(intervals["lower"].iloc[-2:], LME4["Wald intervals"], rtol=1e-4)


def test_predictions_and_conditional_modes_are_lme4s(namespace):
    np.testing.assert_allclose(evaluate("m.predict(sleep)", namespace)[:3],
                               LME4["predictions with random effects"], rtol=1e-5)
    np.testing.assert_allclose(evaluate("m.predict(sleep, random=False)", namespace)[:3],
                               LME4["predictions without random effects"], rtol=1e-6)
    first = evaluate("m.ranef", namespace).query("level == '308'")["estimate"]
    np.testing.assert_allclose(first, LME4["conditional modes"][0], rtol=1e-3)


def test_varcorr_singular_flag_and_information_criteria_are_lme4s(namespace):
    varcorr = evaluate("m.varcorr", namespace)
    sdcor = [varcorr["sd"][0], varcorr["sd"][1], varcorr["corr"][1], varcorr["sd"][2]]
    np.testing.assert_allclose(sdcor, LME4["variances and correlations"], rtol=1e-4)
    assert evaluate("m.singular", namespace) == LME4["singular fit?"]
    np.testing.assert_allclose(evaluate("m.llf, m.aic, m.bic", namespace),
                               LME4["logLik, AIC, BIC"], atol=1e-3)


def test_simulate_gives_one_response_per_row(namespace):
    assert len(evaluate("m.simulate(n=1, seed=1)", namespace)) == LME4["simulated responses"]


def test_the_parametric_bootstrap_p_value_agrees_with_pbkrtests_within_its_mc_error(namespace):
    table = evaluate('mlmcourse.compare(m0, m, method="bootstrap", n=200, seed=1)', namespace)
    row = table.iloc[1]
    assert abs(row["p_bootstrap"] - LME4["parametric bootstrap test"]) <= 3 * row["mc_error"]
