"""pytest set-up shared by the tests and the package's doctests."""
import matplotlib

# Draw off-screen in this process. (Not through MPLBACKEND: nbval's kernels would inherit it and
# store no figures.)
matplotlib.use("Agg")


def pytest_runtest_teardown(item):
    """Close the figures a test or doctest drew, so that memory stays flat."""
    import matplotlib.pyplot as plt

    plt.close("all")
