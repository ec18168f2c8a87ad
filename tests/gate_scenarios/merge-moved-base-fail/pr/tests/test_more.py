from calc import mean


def test_mean_two():
    assert mean([2, 4]) == 3
