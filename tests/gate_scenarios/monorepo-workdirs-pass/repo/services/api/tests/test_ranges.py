from api.ranges import parse_range


def test_parse_range():
    assert parse_range("bytes=0-9") == (0, 9)
