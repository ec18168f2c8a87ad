import pytest


@pytest.fixture
def numbers():
    return [1, 2, 3]


@pytest.fixture
def unused_fixture():
    return "nobody asks for me"
