"""One call that sets up a chapter notebook's display: table precision and figure style."""
import matplotlib as mpl
import pandas as pd
import seaborn as sns

PRECISION = 3


def setup_notebook(*, precision=PRECISION):
    """Set the display precision of tables and the figure style for a chapter notebook.

    Chapters call this once, in their import cell, so that every table is rounded the same way
    and every figure has the book's size, fonts and colour-blind-safe palette. It changes
    global settings of pandas and matplotlib on purpose; the other functions of the package
    never do.

    Parameters
    ----------
    precision : int, optional
        Decimal places shown for floating-point numbers in tables.

    Examples
    --------
    >>> import mlmcourse
    >>> mlmcourse.setup_notebook()
    >>> import pandas as pd
    >>> pd.get_option("display.precision")
    3
    """
    pd.set_option("display.precision", precision)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.width", 100)
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({
        "figure.figsize": (7.0, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "figure.constrained_layout.use": True,
    })
