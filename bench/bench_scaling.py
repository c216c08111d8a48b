"""How `mlmcourse.fit` scales: seconds and peak memory against lme4 and mixedlm.

A script, not a test.  For each case (random intercepts and random slopes at 10^4, 10^5 and
10^6 rows, crossed random intercepts at 10^4 and 10^5 rows, lme4's full InstEval) it prints
the seconds and peak traced memory of `mlmcourse.fit`, lme4's seconds (from
`bench/lme4_scaling.json`, written by `bench/lme4_scaling.R` on the same data), the seconds of
the PyPI package `mixedlm` where it is installed (an optional benchmark-only dependency:
`pip install mixedlm==1.3.0`), the ratios, and whether each log-likelihood equals lme4's.

    .venv/bin/python bench/bench_scaling.py             # every case
    .venv/bin/python bench/bench_scaling.py --only slopes_100000
"""
from __future__ import annotations

import argparse
import json
import sys
import tracemalloc
import warnings
from pathlib import Path

import pandas as pd

import mlmcourse
from timing import median_seconds

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "reference"))
import simulated  # noqa: E402 - the simulated designs, shared with the reference zoo

LME4 = ROOT / "bench" / "lme4_scaling.json"
LOGLIK_TOLERANCE = 1e-3

# id -> (data, formula); every case is an ML fit, as lme4's and mixedlm's are asked for.
CASES = {
    "intercepts_10000": ("slopes_10000", "y ~ x + (1 | g)"),
    "intercepts_100000": ("slopes_100000", "y ~ x + (1 | g)"),
    "intercepts_1000000": ("slopes_1000000", "y ~ x + (1 | g)"),
    "slopes_10000": ("slopes_10000", "y ~ x + (x | g)"),
    "slopes_100000": ("slopes_100000", "y ~ x + (x | g)"),
    "slopes_1000000": ("slopes_1000000", "y ~ x + (x | g)"),
    "crossed_10000": ("crossed_10000", "y ~ x + (1 | a) + (1 | b)"),
    "crossed_100000": ("crossed_100000", "y ~ x + (1 | a) + (1 | b)"),
    "insteval": ("insteval", "y ~ service + (1 | s) + (1 | d) + (1 | dept)"),
}


def load(name):
    return mlmcourse.load_dataset(name) if name == "insteval" else simulated.design(name)


def seconds_of(run):
    """Median seconds of 3 calls of `run` when one takes under 2 s (else one call), and a result.

    Timed without tracemalloc, which slows every allocation; as in bench/lme4_scaling.R.
    """
    return median_seconds(run, repeat=3, long=2)


def peak_mib(run):
    """Peak memory (MiB) that Python and NumPy allocate during one more call, by tracemalloc."""
    tracemalloc.start()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()
    peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
    tracemalloc.stop()
    return peak


def mixedlm_seconds(data, formula):
    try:
        import mixedlm
    except ImportError:
        return float("nan"), float("nan")
    seconds, result = seconds_of(lambda: mixedlm.lmer(formula, data, REML=False))
    return seconds, float(result.logLik().value)


def warm_up():
    """One small fit of each kind first, so that no case pays for loading code (as in R)."""
    sleep = mlmcourse.load_dataset("sleepstudy")
    seconds_of(lambda: mlmcourse.fit("Reaction ~ Days + (Days | Subject)", sleep, reml=False))
    mixedlm_seconds(sleep, "Reaction ~ Days + (Days | Subject)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="ID", help="cases to run (default: all)")
    arguments = parser.parse_args()
    lme4 = json.loads(LME4.read_text())["cases"] if LME4.exists() else {}
    rows = []
    warm_up()
    for case, (name, formula) in CASES.items():
        if arguments.only and case not in arguments.only:
            continue
        data = load(name)
        run = lambda: mlmcourse.fit(formula, data, reml=False)  # noqa: E731
        seconds, model = seconds_of(run)
        peak = peak_mib(run)
        peer_seconds, peer_llf = mixedlm_seconds(data, formula)
        theirs = lme4.get(case, {})
        lme4_s, lme4_llf = theirs.get("seconds", float("nan")), theirs.get("loglik", float("nan"))
        rows.append({"case": case, "rows": len(data), "fit_s": seconds, "fit_peak_MiB": peak,
                     "lme4_s": lme4_s, "mixedlm_s": peer_seconds,
                     "fit/lme4": seconds / lme4_s, "fit/mixedlm": seconds / peer_seconds,
                     "fit_llf-lme4": model.llf - lme4_llf,
                     "mixedlm_llf-lme4": peer_llf - lme4_llf, "converged": model.converged})
    table = pd.DataFrame(rows).set_index("case")
    print(f"seconds: median of 3 runs under 2 s, else one run, after a warm-up; ML fits; lme4 {json.loads(LME4.read_text())['lme4'] if lme4 else '-'}"
          f"{'' if lme4 else ' (no bench/lme4_scaling.json: lme4 columns empty)'}; peak = "
          "tracemalloc's peak of memory allocated by Python and NumPy during the fit")
    with pd.option_context("display.width", 250, "display.max_columns", None,
                           "display.float_format", "{:.3g}".format):
        print(table.to_string())
    worst = table["fit_llf-lme4"].abs().max()
    print(f"largest |logLik(fit) - logLik(lme4)|: {worst:.2g} "
          f"({'within' if worst <= LOGLIK_TOLERANCE else 'NOT within'} {LOGLIK_TOLERANCE:g})")


if __name__ == "__main__":
    main()
