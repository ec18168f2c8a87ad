from lab.slowpath import work


def test_slow_one():
    assert work(0.4) == 0.4


def test_slow_two():
    assert work(0.4) == 0.4


def test_slow_three():
    assert work(0.4) == 0.4
