import pytest

from core.auth import (
    AuthError,
    hash_password,
    issue_token,
    normalize_email,
    verify_password,
    verify_token,
)

SECRET = b"unit-test-secret"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  ada@Example.COM ", "ada@example.com"),
        ("Ada.Lovelace@Example.org", "ada.lovelace@example.org"),
    ],
    ids=["plain", "whitespace-and-case", "dotted-local-part"],
)
def test_normalize_email(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["ada", "ada@localhost"])
def test_normalize_email_rejects_invalid(raw):
    with pytest.raises(AuthError):
        normalize_email(raw)


def test_password_roundtrip():
    stored = hash_password("s3cret-passphrase")
    assert verify_password("s3cret-passphrase", stored)
    assert not verify_password("s3cret-passphrasE", stored)


def test_password_hashes_are_salted():
    assert hash_password("same password") != hash_password("same password")


def test_token_roundtrip():
    token = issue_token(SECRET, "ada@example.com", now=1000, ttl=60)
    assert verify_token(SECRET, token, now=1059) == "ada@example.com"


def test_tampered_token_is_rejected():
    token = issue_token(SECRET, "ada@example.com", now=1000)
    payload, _, signature = token.partition(".")
    with pytest.raises(AuthError, match="signature"):
        verify_token(SECRET, payload + "x." + signature, now=1000)


def test_short_password_is_refused(user_store):
    with pytest.raises(AuthError, match="at least 8"):
        user_store.register("bob@example.com", "short")


def test_duplicate_registration_is_refused(user_store, customer):
    with pytest.raises(AuthError, match="already registered"):
        user_store.register("ada@EXAMPLE.com", "another password")
