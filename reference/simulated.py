"""Simulated designs shared by the reference zoo, the tests and the benchmark.

Seeded NumPy generators make the same data on every machine with the pinned NumPy, so R can read
what Python writes: ``python reference/simulated.py`` writes every design that R needs to
``reference/.cache/`` (git-ignored), and ``make reference`` runs it before the R scripts.

- ``slopes_<n>``: ``y ~ x + (x | g)`` data, groups of 20, intercept SD 1, slope SD 0.5,
  correlation 0.3, residual SD 1.
- ``crossed_<n>``: ``y ~ x + (1 | a) + (1 | b)`` data, `a` with n / 20 levels (balanced), `b`
  with n / 100 levels (drawn at random), SDs 1 and 0.7, residual SD 1.
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

CACHE = Path(__file__).resolve().parent / ".cache"
FOR_R = ["crossed_100000", "slopes_10000", "slopes_100000", "slopes_1000000", "crossed_10000"]


def slopes(n, seed=20251202):
    """Random intercepts and slopes, groups of 20 rows."""
    rng = np.random.default_rng(seed)
    groups = n // 20
    g = np.arange(n) % groups
    x = rng.normal(size=n)
    cov = np.array([[1.0, 0.15], [0.15, 0.25]])
    b = rng.multivariate_normal([0.0, 0.0], cov, size=groups)
    y = 1 + 0.5 * x + b[g, 0] + b[g, 1] * x + rng.normal(size=n)
    return pd.DataFrame({"y": y.round(6), "x": x.round(6), "g": [f"g{i}" for i in g]})


def crossed(n, seed=20251203):
    """Crossed random intercepts: `a` balanced (n / 20 levels), `b` at random (n / 100 levels)."""
    rng = np.random.default_rng(seed)
    a = np.arange(n) % (n // 20)
    b = rng.integers(0, n // 100, n)
    x = rng.normal(size=n)
    y = (1 + 0.5 * x + rng.normal(size=n // 20)[a] + 0.7 * rng.normal(size=n // 100)[b]
         + rng.normal(size=n))
    return pd.DataFrame({"y": y.round(6), "x": x.round(6), "a": [f"a{i}" for i in a],
                         "b": [f"b{i}" for i in b]})


def design(name):
    """The data set called `name`, such as ``"crossed_100000"``."""
    if name in CHECKING:
        return CHECKING[name]()
    kind, n = name.rsplit("_", 1)
    return {"slopes": slopes, "crossed": crossed}[kind](int(n))


# --- checking: the simulated data sets of chapters/checking-models.ipynb (its SEED is 2024); the
# same code as the chapter's, which tests/test_checking_data.py checks.

def skewed_groups(rng, groups=100, size=5, sigma=2.0):
    """Random intercepts from a centred exponential (SD 1, skewness 2), normal residuals."""
    u = rng.exponential(1.0, groups) - 1.0
    g = np.repeat(np.arange(groups), size)
    data = pd.DataFrame({"g": [f"g{i:03d}" for i in g], "y": u[g] + rng.normal(0, sigma, g.size)})
    return data, u


def flawed(flaw, seed, groups=60, size=15):
    """y ~ x + (1 | g) data with one planted flaw: "level2", "curvature" or "skewed"."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    x, z = rng.uniform(-2, 2, g.size), rng.normal(0, 1, groups)
    u = rng.exponential(1.0, groups) - 1.0 if flaw == "skewed" else rng.normal(0, 1, groups)
    y = 1 + 0.5 * x + u[g] + rng.normal(0, 1, g.size)
    y += 0.4 * x**2 if flaw == "curvature" else 1.0 * z[g] if flaw == "level2" else 0.0
    return pd.DataFrame({"g": [f"g{i:02d}" for i in g], "x": x, "z": z[g], "y": y})


CHECKING = {"checking_skewed": lambda: skewed_groups(np.random.default_rng(2025))[0],
            "checking_curvature": lambda: flawed("curvature", 2024),
            "checking_skewed_flaw": lambda: flawed("skewed", 2025),
            "checking_level2": lambda: flawed("level2", 2026)}
FOR_R += list(CHECKING)


def main(names):
    CACHE.mkdir(exist_ok=True)
    for name in names:
        path = CACHE / f"{name}.csv"
        if not path.exists():
            design(name).to_csv(path, index=False, lineterminator="\n")


if __name__ == "__main__":
    main(sys.argv[1:] or FOR_R)
