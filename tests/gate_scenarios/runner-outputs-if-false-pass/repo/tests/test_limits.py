import os


def test_limit_comes_from_the_job():
    assert int(os.environ["MAX_ITEMS"]) == 3
