"""pytest set-up shared by the tests and the package's doctests."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_runtest_teardown(item):
    """Close the figures a test or doctest drew, so that memory stays flat."""
    import matplotlib.pyplot as plt

    plt.close("all")
