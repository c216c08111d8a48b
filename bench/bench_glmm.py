"""Time `mlmcourse.fit(..., family=...)` against lme4's `glmer` on the GLMM reference models.

A script, not a test: one row per model of `reference/glmer_reference.json` with the number
of rows and groups, the elapsed and CPU seconds taken by `mlmcourse.fit` (medians of the runs;
the elapsed ones grow when other jobs share the cores), glmer's elapsed seconds per fit (from
`bench/glmer_times.json`, written by `bench/glmer_times.R`: glmer with its default control,
timed alone, median of 3 batches of about a second each), their ratio, and how far the
log-likelihood lies from glmer's best one.  `--json` also writes the rows to a file (to
compare two versions).

Run from the repository root (``make bench`` does this)::

    .venv/bin/python bench/bench_glmm.py                 # every model, median of 3 runs
    .venv/bin/python bench/bench_glmm.py --repeat 1 --only cbpp_period epil_poisson
    Rscript bench/glmer_times.R /tmp/glmer_now.json      # glmer re-timed under today's load
    .venv/bin/python bench/bench_glmm.py --glmer-times /tmp/glmer_now.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings
from pathlib import Path

import pandas as pd

import mlmcourse

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference" / "glmer_reference.json"
GLMER_TIMES = ROOT / "bench" / "glmer_times.json"
LOGLIK_TOLERANCE = 1e-3


def fit_once(entry, data):
    """One fit of a reference model; returns (elapsed seconds, CPU seconds, llf)."""
    start, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mlmcourse.fit(entry["formula"], data, family=entry["family"], nagq=entry["nagq"])
    return time.perf_counter() - start, time.process_time() - cpu, model.llf


def glmer_seconds(path=GLMER_TIMES):
    if not path.exists():
        return {}
    return {e["id"]: e["seconds"] for e in json.loads(path.read_text())["models"]}


def bench_model(entry, data, glmer_s, repeat):
    runs = [fit_once(entry, data) for _ in range(repeat)]
    seconds = statistics.median(s for s, _, _ in runs)
    llf = runs[-1][2]
    gap = llf - entry["loglik"]
    return {
        "id": entry["id"],
        "family": entry["family"],
        "nagq": entry["nagq"],
        "rows": entry["nobs"],
        "groups": " + ".join(str(n) for n in sorted(entry["ngroups"].values())),
        "fit_s": seconds,
        "fit_cpu_s": statistics.median(c for _, c, _ in runs),
        "glmer_s": glmer_s,
        "fit/glmer": seconds / glmer_s,
        "llf": llf,
        "reaches_glmer": f"{'yes' if gap > -LOGLIK_TOLERANCE else 'NO'} ({gap:+.5f})",
    }


def shown(path):
    """A path as the reader typed it: relative to the repository when it is inside."""
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per model; the median is reported (default 3)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="model ids to run (default: all)")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    parser.add_argument("--glmer-times", type=Path, default=GLMER_TIMES,
                        help="glmer's seconds (default bench/glmer_times.json; "
                             "bench/glmer_times.R re-times glmer on this machine)")
    return parser.parse_args()


def main():
    arguments = parse_arguments()
    entries = [e for e in json.loads(REFERENCE.read_text())["models"]
               if not arguments.only or e["id"] in arguments.only]
    datasets = {name: mlmcourse.load_dataset(name) for name in {e["data"] for e in entries}}
    times = glmer_seconds(arguments.glmer_times)
    rows = [bench_model(e, datasets[e["data"]], times.get(e["id"], float("nan")),
                        arguments.repeat) for e in entries]
    table = pd.DataFrame(rows).set_index("id")
    print(f"median of {arguments.repeat} run(s) of mlmcourse.fit; glmer: seconds per fit with "
          f"its default control ({shown(arguments.glmer_times)}); load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; 'reaches glmer' = log-likelihood "
          f"within {LOGLIK_TOLERANCE:g} of glmer's best (gap in brackets)")
    with pd.option_context("display.width", 250, "display.max_columns", None,
                           "display.float_format", "{:.3f}".format):
        print(table.drop(columns="llf").to_string())
    if arguments.json:
        arguments.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
