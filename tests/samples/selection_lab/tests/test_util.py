import pytest

from lab.util import double, halve


@pytest.mark.parametrize("value, expected", [(1, 2), (2, 4), (5, 10)])
def test_double(value, expected):
    assert double(value) == expected


def test_halve(numbers):
    assert [halve(n) for n in numbers] == [0.5, 1.0, 1.5]
