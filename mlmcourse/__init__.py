"""mlmcourse: data, model fitting and figures for the multilevel-models course."""
from mlmcourse.datasets import list_datasets, load_dataset

__all__ = ["list_datasets", "load_dataset"]
__version__ = "0.1.0"
