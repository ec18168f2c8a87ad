from calc import add, mean


def test_add():
    assert add(2, 2) == 4


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_case_0():
    assert add(0, 1) == 1


def test_case_1():
    assert add(1, 1) == 2


def test_case_2():
    assert add(2, 1) == 3


def test_case_3():
    assert add(3, 1) == 4


def test_case_4():
    assert add(4, 1) == 5


def test_case_5():
    assert add(5, 1) == 6


def test_case_6():
    assert add(6, 1) == 7


def test_case_7():
    assert add(7, 1) == 8
def test_known_bug():
    assert mean([1, 2]) == 1
