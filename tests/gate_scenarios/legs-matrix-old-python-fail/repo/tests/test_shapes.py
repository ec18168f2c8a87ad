from shapes import describe


def test_zero():
    assert describe(0) == 'zero'
