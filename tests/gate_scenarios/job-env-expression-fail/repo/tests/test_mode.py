import os


def test_mode():
    assert os.environ['MODE'] == 'push'
