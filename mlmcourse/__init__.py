"""mlmcourse: data, model fitting and figures for the multilevel-models course."""
from mlmcourse.datasets import list_datasets, load_dataset
from mlmcourse.notebook import setup_notebook
from mlmcourse.models import (FitResult, FormulaError, ModelWarning, bootstrap, compare, fit,
                              influence)
from mlmcourse import plot
from mlmcourse.pooling import pooling
from mlmcourse.power import balanced_design, power, power_grid
from mlmcourse.simulate import faculty_salaries, salary_parameters, simulate

__all__ = [
    "FitResult", "FormulaError", "ModelWarning", "balanced_design", "bootstrap", "compare",
    "faculty_salaries", "fit", "influence", "list_datasets", "load_dataset", "plot", "pooling",
    "power", "power_grid", "salary_parameters", "setup_notebook",
    "simulate",
]
__version__ = "0.1.0"
