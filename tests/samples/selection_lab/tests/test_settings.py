from pathlib import Path

from lab.settings import load

DATA = Path(__file__).parent / "data"


def test_settings_mode():
    assert load(DATA / "settings.json")["mode"] == "fast"


def test_settings_are_a_dict():
    assert isinstance({"mode": "fast"}, dict)
