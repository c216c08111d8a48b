"""Fixtures shared by the package's tests: the course data sets, loaded once per module."""
import pytest

import mlmcourse


@pytest.fixture(scope="module")
def hsb():
    return mlmcourse.load_dataset("hsb")


@pytest.fixture(scope="module")
def radon():
    return mlmcourse.load_dataset("radon")


@pytest.fixture(scope="module")
def sleep():
    return mlmcourse.load_dataset("sleepstudy")


@pytest.fixture(scope="module")
def pastes():
    return mlmcourse.load_dataset("pastes")
