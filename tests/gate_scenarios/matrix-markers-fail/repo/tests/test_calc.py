import pytest

from calc import add


@pytest.mark.unit
def test_add():
    assert add(1, 1) == 2


@pytest.mark.integration
def test_add_strings():
    assert add("a", "b") == "ab "
