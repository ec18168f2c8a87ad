from lab.core import compute, describe


def test_compute():
    assert compute(2) == 5


def test_describe():
    assert describe(3) == "value 3"
