"""The simulations behind chapters/power.ipynb: power over a grid of designs, to a CSV file.

The chapter cannot run 6,400 fits within its time budget, so it reads this file and re-runs one
design itself. Run from the repository root (about 10 minutes on the 2-core machine):

    python scripts/power_grid.py

Every design is seeded from its place in the grid, so the file is the same on every run.
"""
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlmcourse  # noqa: E402

MODEL = "y ~ x * w + (x || group)"
TRUTH = {"fixef": {"x": 0.2, "w": 0.5, "x:w": 0.3},
         "sd": {"group": {"Intercept": 0.5, "x": 0.2}}, "sigma": 1.0}
REPLICATES, SEED = 400, 20261207
GRID = ([("groups", j, 10) for j in (6, 10, 16, 24, 40)]
        + [("group size", 20, n) for n in (3, 5, 10, 20, 40)]
        + [("same total", j, 480 // j) for j in (8, 12, 16, 24, 48, 96)])

OUT = ROOT / "mlmcourse" / "stored" / "power_grid.csv"  # mlmcourse.power_grid() reads it


def main():
    rows = []
    for i, (sweep, n_groups, group_size) in enumerate(GRID):
        table = mlmcourse.power(MODEL, mlmcourse.balanced_design(n_groups, group_size), n=REPLICATES,
                                seed=SEED + i, **TRUTH)
        for term, row in table.iterrows():
            rows.append({"sweep": sweep, "groups": n_groups, "group_size": group_size,
                         "term": term, "power": row["power"], "replicates": REPLICATES})
        print(sweep, n_groups, group_size, table["power"].round(3).tolist(), flush=True)
    pd.DataFrame(rows).to_csv(OUT, index=False, float_format="%.4f")


if __name__ == "__main__":
    main()
