"""Time `mlmcourse.fit` against statsmodels' defaults and lme4 on the reference zoo.

A script, not a test: it prints one row per model of `reference/lme4_reference.json`
with the number of rows and groups, the seconds taken by `mlmcourse.fit`, by a plain
`statsmodels.formula.api.mixedlm(...).fit(reml=...)` and by lme4 (from
`reference/lme4_times.json`, when that file exists), the ratios, and how far each
Python fit's log-likelihood lies from lme4's.

Run from the repository root (``make bench`` does this)::

    .venv/bin/python bench/bench_fit.py                # every model, median of 3 runs
    .venv/bin/python bench/bench_fit.py --repeat 1     # quicker
    .venv/bin/python bench/bench_fit.py --only hsb_cses_slopes_reml radon_uranium_slopes_reml
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import statsmodels.formula.api as smf

import mlmcourse
from mlmcourse.models import fit
from timing import median_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "reference"))
import simulated  # noqa: E402 - the simulated designs of the reference zoo
REFERENCE = ROOT / "reference" / "lme4_reference.json"
LME4_TIMES = ROOT / "reference" / "lme4_times.json"
LOGLIK_TOLERANCE = 1e-3


@dataclass(frozen=True)
class StatsmodelsModel:
    """The plain statsmodels spelling of one lme4 formula."""

    fixed: str
    groups: str
    re_formula: str | None = None
    vc_formula: dict[str, str] | None = None

    def fit(self, data, *, reml):
        model = smf.mixedlm(self.fixed, data, groups=self.groups,
                            re_formula=self.re_formula, vc_formula=self.vc_formula)
        return model.fit(reml=reml)


# lme4 formula (as in the reference file) -> what a statsmodels user would write by hand.
STATSMODELS_EQUIVALENTS = {
    "Reaction ~ Days + (Days | Subject)":
        StatsmodelsModel("Reaction ~ Days", "Subject", re_formula="~Days"),
    "Reaction ~ Days + (Days || Subject)":
        StatsmodelsModel("Reaction ~ Days", "Subject", re_formula="1",
                         vc_formula={"Days": "0 + Days"}),
    "Reaction ~ Days + (1 | Subject)":
        StatsmodelsModel("Reaction ~ Days", "Subject"),
    "log_radon ~ floor + (1 | county)":
        StatsmodelsModel("log_radon ~ floor", "county"),
    "log_radon ~ 1 + (1 | county)":
        StatsmodelsModel("log_radon ~ 1", "county"),
    "log_radon ~ floor + (floor | county)":
        StatsmodelsModel("log_radon ~ floor", "county", re_formula="~floor"),
    "log_radon ~ floor + uranium + (floor | county)":
        StatsmodelsModel("log_radon ~ floor + uranium", "county", re_formula="~floor"),
    "log_radon ~ floor + uranium + (uranium | county)":
        StatsmodelsModel("log_radon ~ floor + uranium", "county", re_formula="~uranium"),
    "mathach ~ 1 + (1 | school)":
        StatsmodelsModel("mathach ~ 1", "school"),
    "mathach ~ ses + (1 | school)":
        StatsmodelsModel("mathach ~ ses", "school"),
    "mathach ~ cses + (cses | school)":
        StatsmodelsModel("mathach ~ cses", "school", re_formula="~cses"),
    "mathach ~ cses * sector + meanses + (cses | school)":
        StatsmodelsModel("mathach ~ cses * sector + meanses", "school", re_formula="~cses"),
    "mathach ~ cses * (sector + meanses) + (cses | school)":
        StatsmodelsModel("mathach ~ cses * (sector + meanses)", "school", re_formula="~cses"),
    "mathach ~ cses + (1 | school) + (0 + cses | school)":
        StatsmodelsModel("mathach ~ cses", "school", re_formula="1",
                         vc_formula={"cses": "0 + cses"}),
    "mathach ~ cses * (sector + meanses) + female + (cses + female | school)":
        StatsmodelsModel("mathach ~ cses * (sector + meanses) + female", "school",
                         re_formula="~cses + female"),
    "strength ~ 1 + (1 | batch/cask)":
        StatsmodelsModel("strength ~ 1", "batch", re_formula="1",
                         vc_formula={"cask": "0 + C(cask)"}),
}


def time_or_error(run, repeat):
    """Like `median_seconds`, but an exception becomes (nan, None, message)."""
    try:
        seconds, result = median_seconds(run, repeat)
    except Exception as error:  # a benchmark reports failures, it does not stop at them
        return float("nan"), None, f"{type(error).__name__}: {error}"
    return seconds, result, ""


def load_lme4_seconds():
    if not LME4_TIMES.exists():
        return {}
    times = json.loads(LME4_TIMES.read_text())
    return {entry["id"]: entry["seconds"] for entry in times["models"]}


def describe_groups(ngroups):
    return " + ".join(f"{count}" for _, count in sorted(ngroups.items(), key=lambda kv: kv[1]))


def loglik_verdict(llf, reference_loglik):
    if llf is None:
        return "error"
    gap = llf - reference_loglik
    reached = "yes" if gap > -LOGLIK_TOLERANCE else "NO"
    return f"{reached} ({gap:+.4f})"


def bench_model(entry, datasets, lme4_seconds, repeat):
    data = datasets[entry["data"]]
    reml = entry["reml"]
    equivalent = STATSMODELS_EQUIVALENTS.get(entry["formula"])
    fit_s, ours, fit_error = time_or_error(
        lambda: fit(entry["formula"], data, reml=reml, weights=entry.get("weights")), repeat)
    if equivalent is None or entry.get("weights"):  # statsmodels cannot write it, or not yet here
        sm_s, theirs, sm_error = float("nan"), None, ""
    else:
        sm_s, theirs, sm_error = time_or_error(lambda: equivalent.fit(data, reml=reml), repeat)
    lme4_s = lme4_seconds.get(entry["id"], float("nan"))
    row = {
        "id": entry["id"],
        "reml": reml,
        "rows": entry["nobs"],
        "groups": describe_groups(entry["ngroups"]),
        "fit_s": fit_s,
        "statsmodels_s": sm_s,
        "lme4_s": lme4_s,
        "fit/statsmodels": fit_s / sm_s,
        "fit/lme4": fit_s / lme4_s,
        "fit_reaches_lme4": loglik_verdict(None if ours is None else ours.llf, entry["loglik"]),
        "statsmodels_reaches_lme4": "-" if theirs is None and not sm_error else loglik_verdict(
            None if theirs is None else theirs.llf, entry["loglik"]),
    }
    errors = [f"{entry['id']}: {who} failed: {message}"
              for who, message in (("mlmcourse.fit", fit_error), ("statsmodels", sm_error)) if message]
    return row, errors


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per model and library; the median is reported (default 3)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="model ids to run (default: all)")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    reference = json.loads(REFERENCE.read_text())
    entries = [e for e in reference["models"] if not arguments.only or e["id"] in arguments.only]
    datasets = {name: (simulated.design(name.split(":", 1)[1]) if name.startswith("simulated:")
                       else mlmcourse.load_dataset(name)) for name in {e["data"] for e in entries}}
    lme4_seconds = load_lme4_seconds()
    rows, errors = [], []
    for entry in entries:
        row, model_errors = bench_model(entry, datasets, lme4_seconds, arguments.repeat)
        rows.append(row)
        errors.extend(model_errors)
    table = pd.DataFrame(rows).set_index("id")
    print(f"median of {arguments.repeat} run(s); lme4 {reference['lme4']} on R {reference['R']}"
          f"{'' if lme4_seconds else ' (no reference/lme4_times.json: lme4 column empty)'};"
          f" 'reaches lme4' = log-likelihood within {LOGLIK_TOLERANCE:g} of lme4's (gap in brackets)")
    with pd.option_context("display.width", 250, "display.max_columns", None,
                           "display.float_format", "{:.3f}".format):
        print(table.to_string())
    for error in errors:
        print(error)


if __name__ == "__main__":
    main()
