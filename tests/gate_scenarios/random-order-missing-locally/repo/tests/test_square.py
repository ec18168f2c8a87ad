import pytest


@pytest.mark.parametrize("n", range(12))
def test_square(n):
    assert n * n == n**2
