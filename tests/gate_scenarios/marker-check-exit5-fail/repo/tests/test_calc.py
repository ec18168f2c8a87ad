import pytest

from calc import add


@pytest.mark.unit
def test_add():
    assert add(1, 1) == 2


@pytest.mark.integration
def test_add_many():
    assert add(add(1, 2), 3) == 6


def test_unmarked():
    assert add(0, 0) == 0
