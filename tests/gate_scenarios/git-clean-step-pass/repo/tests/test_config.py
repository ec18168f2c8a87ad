from config import settings


def test_currency():
    assert settings()['currency'] == 'EUR'
