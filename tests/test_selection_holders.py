"""The names that lead a test to a class or an instance of it (``_holders``), on real sources:
compiled and parsed as selection does, never imported."""

from __future__ import annotations

import pytest

from gateui.core.selection._holders import Holders, holders_of
from gateui.core.selection._module_diff import import_bindings
from gateui.core.selection._name_reads import function_reads

pytestmark = pytest.mark.unit

POLICY = b"""\
class Policy:
    limit = 3


def default_policy():
    return Policy()


def unrelated():
    return 1
"""

USERS = b"""\
import pytest

from policy import default_policy

DEFAULT = default_policy()
OTHER = 5


class Keeper:
    def __init__(self):
        self.policy = default_policy()


class Caller:
    def run(self):
        return default_policy()


class Settings:
    policy = default_policy()


class TestThing:
    @pytest.mark.parametrize("p", [default_policy()])
    def test_param(self, p):
        assert p

    def test_plain(self):
        obj = object()
        obj.x = default_policy()
"""

SOURCES = {"policy.py": POLICY, "users.py": USERS}


def holders(inside: bool = True) -> Holders:
    return holders_of(
        "policy.py",
        "Policy",
        list(SOURCES),
        lambda f: function_reads(SOURCES[f], f),
        lambda f: import_bindings(SOURCES[f]),
        inside,
    )


def test_names_that_lead_to_the_class() -> None:
    found = holders()
    # The class, its factory, a binding made at import through the factory, a method that
    # returns one, a method building one in a parametrize argument.
    for word in ("Policy", "default_policy", "DEFAULT", "run", "test_param"):
        assert word in found.words, word
    assert found.words["DEFAULT"] == ("users.py", "DEFAULT")
    # Names that lead nowhere near it.
    for word in ("unrelated", "OTHER", "TestThing", "__init__"):
        assert word not in found.words, word


def test_classes_keeping_one_count_only_for_reads_inside_them() -> None:
    # ``self.policy = ...`` and a field holding one: their classes keep a Policy inside.
    assert {"Keeper", "Settings"} <= holders(inside=True).words.keys()
    direct = holders(inside=False)
    assert "Keeper" not in direct.words and "Settings" not in direct.words
    # Setting an attribute of another object is not keeping one on its own instance.
    assert "TestThing" not in holders(inside=True).words


def test_what_a_test_executed_tells_whether_it_can_hold_one() -> None:
    found = holders()
    reads = function_reads(USERS, "users.py")
    # Code of the class itself.
    assert found.held_by("policy.py", "Policy.anything", None) == (
        "policy.py",
        "Policy.anything",
    )
    # A function reading a name that leads to it: the name's definition is the way.
    assert found.held_by("users.py", "Caller.run", reads["Caller.run"]) == (
        "policy.py",
        "default_policy",
    )
    # A test given one by its parametrize decorator reads no such name in its body.
    assert found.held_by("users.py", "TestThing.test_param", reads["TestThing.test_param"]) == (
        "users.py",
        "TestThing.test_param",
    )
    assert found.held_by("policy.py", "unrelated", function_reads(POLICY)["unrelated"]) is None


def test_name_reads_tell_class_bodies_and_methods_keeping_what_they_read() -> None:
    reads = function_reads(USERS, "users.py")
    assert reads["Keeper.__init__"].keeps
    assert not reads["Caller.run"].keeps
    assert not reads["TestThing.test_plain"].keeps  # sets an attribute of another object
    assert reads["TestThing"].class_body and not reads["Caller.run"].class_body
