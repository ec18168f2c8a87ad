"""Users, password hashing and signed bearer tokens.

Time is always passed in (``now`` as a Unix timestamp) so tokens can be tested
without a clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

PBKDF2_ITERATIONS = 2_000  # kept low for the test-suite; production overrides it


class AuthError(Exception):
    pass


def normalize_email(email: str) -> str:
    local, sep, domain = email.strip().partition("@")
    if not sep or not local or "." not in domain:
        raise AuthError(f"invalid email address: {email!r}")
    return f"{local.lower()}@{domain.lower()}"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
    return f"{salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    salt_hex, _, digest_hex = stored.partition("$")
    candidate = hash_password(password, bytes.fromhex(salt_hex)).partition("$")[2]
    return hmac.compare_digest(candidate, digest_hex)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(secret: bytes, subject: str, now: int, ttl: int = 3600) -> str:
    payload = _b64(json.dumps({"sub": subject, "exp": now + ttl}).encode())
    signature = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def verify_token(secret: bytes, token: str, now: int) -> str:
    payload, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        raise AuthError("bad token signature")
    claims = json.loads(_unb64(payload))
    if claims["exp"] <= now:
        raise AuthError("token expired")
    return str(claims["sub"])


@dataclass
class User:
    email: str
    password_hash: str
    roles: frozenset[str] = frozenset({"customer"})


class UserStore:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self._users: dict[str, User] = {}

    def register(self, email: str, password: str, roles: set[str] | None = None) -> User:
        key = normalize_email(email)
        if key in self._users:
            raise AuthError(f"{key} is already registered")
        if len(password) < 8:
            raise AuthError("password must be at least 8 characters")
        user = User(key, hash_password(password), frozenset(roles or {"customer"}))
        self._users[key] = user
        return user

    def login(self, email: str, password: str, now: int) -> str:
        user = self._users.get(normalize_email(email))
        if user is None or not verify_password(password, user.password_hash):
            raise AuthError("invalid credentials")
        return issue_token(self._secret, user.email, now)

    def authenticate(self, token: str, now: int) -> User:
        return self._users[verify_token(self._secret, token, now)]
