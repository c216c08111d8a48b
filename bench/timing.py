"""The one timing rule of the benchmark scripts: the median of a few calls, warnings silenced."""
import statistics
import time
import warnings


def median_seconds(run, repeat=3, long=float("inf")):
    """Median elapsed seconds over `repeat` calls of `run`, and the last call's result.

    A first call that takes `long` seconds or more is timed alone (large cases, where one
    run is long enough to be steady).
    """
    seconds, result = [], None
    while len(seconds) < repeat and (not seconds or seconds[0] < long):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = run()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result
