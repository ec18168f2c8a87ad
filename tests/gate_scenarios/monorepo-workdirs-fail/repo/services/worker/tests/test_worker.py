from worker import backoff


def test_backoff():
    assert backoff(10) == 60
