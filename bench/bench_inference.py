"""Time the inference of issue 12 against R: the parametric-bootstrap LRT and a profile confint.

A script, not a test: it prints the seconds taken by

- ``compare(small, large, method="bootstrap", n=1000)`` for sleepstudy's
  ``(Days | Subject)`` against ``(1 | Subject)``, and pbkrtest's ``PBmodcomp`` with
  ``nsim = 1000`` on the same models (goal: under 20 s, and under pbkrtest's time);
- ``model.confint()`` (profile) for ``(Days | Subject)``, and lme4's
  ``confint(method = "profile")`` (goal: at or under lme4's time);

and the ratios.  R's times are measured in the same run, when ``Rscript`` with lme4 and
pbkrtest is installed (otherwise the R columns say so).  Both sides run on one core.

Run from the repository root (``make bench`` does this)::

    .venv/bin/python bench/bench_inference.py
    .venv/bin/python bench/bench_inference.py --replicates 200   # quicker
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from pathlib import Path

import mlmcourse

ROOT = Path(__file__).resolve().parent.parent
LARGE = "Reaction ~ Days + (Days | Subject)"
SMALL = "Reaction ~ Days + (1 | Subject)"
GOAL_SECONDS = 20.0

R_TIMES = r"""
suppressPackageStartupMessages({library(lme4); library(pbkrtest); library(jsonlite)})
sleep <- read.csv("data/sleepstudy.csv"); sleep$Subject <- factor(sleep$Subject)
large <- lmer(Reaction ~ Days + (Days | Subject), sleep)
small <- lmer(Reaction ~ Days + (1 | Subject), sleep)
nsim <- as.integer(commandArgs(TRUE)[1])
pb <- system.time(result <- PBmodcomp(large, small, nsim = nsim, seed = 1))[["elapsed"]]
profile <- median(sapply(1:3, function(i)
  system.time(suppressMessages(confint(large, method = "profile")))[["elapsed"]]))
cat(toJSON(list(pbmodcomp = pb, profile = profile,
                p = result$test["PBtest", "p.value"]), auto_unbox = TRUE, digits = 6))
"""


def python_times(replicates):
    sleep = mlmcourse.load_dataset("sleepstudy")
    large, small = mlmcourse.fit(LARGE, sleep), mlmcourse.fit(SMALL, sleep)
    start = time.perf_counter()
    table = mlmcourse.compare(small, large, method="bootstrap", n=replicates, seed=1)
    bootstrap = time.perf_counter() - start
    profiles = []
    for _ in range(3):
        start = time.perf_counter()
        large.confint(method="profile")
        profiles.append(time.perf_counter() - start)
    return {"pbmodcomp": bootstrap, "profile": sorted(profiles)[1],
            "p": float(table.loc[LARGE, "p_bootstrap"])}


def r_times(replicates):
    """R's times in this run, or the reason there are none."""
    if shutil.which("Rscript") is None:
        return "Rscript not installed"
    run = subprocess.run(["Rscript", "-e", R_TIMES, str(replicates)], cwd=ROOT,
                         capture_output=True, text=True, env={"OMP_NUM_THREADS": "1",
                                                              "PATH": "/usr/bin:/bin"})
    if run.returncode != 0:
        return "R failed: " + run.stderr.strip().splitlines()[-1]
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicates", type=int, default=1000)
    args = parser.parse_args()
    ours = python_times(args.replicates)
    theirs = r_times(args.replicates)
    print(f"sleepstudy {LARGE} against {SMALL}")
    rows = [("parametric-bootstrap LRT", "pbmodcomp", f"pbkrtest PBmodcomp, nsim = "
             f"{args.replicates}"), ("profile confint", "profile", "lme4 confint(profile)")]
    for label, key, r_label in rows:
        line = f"  {label:<26} mlmcourse {ours[key]:7.2f} s"
        if isinstance(theirs, dict):
            line += f"   {r_label} {theirs[key]:7.2f} s   ratio {ours[key] / theirs[key]:.2f}"
        else:
            line += f"   R: {theirs}"
        print(line)
    verdict = "meets" if ours["pbmodcomp"] < GOAL_SECONDS else "misses"
    print(f"  bootstrap LRT {verdict} the {GOAL_SECONDS:.0f} s goal; bootstrap p: mlmcourse "
          f"{ours['p']:.4f}" + (f", pbkrtest {theirs['p']:.4f}" if isinstance(theirs, dict)
                                 else ""))


if __name__ == "__main__":
    main()
