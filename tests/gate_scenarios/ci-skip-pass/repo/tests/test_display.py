import os

import pytest


@pytest.mark.skipif(bool(os.environ.get("CI")), reason="needs a display; skipped on CI")
def test_needs_display():
    assert os.environ.get("DISPLAY"), "no display"


def test_runs_everywhere():
    assert 1 + 1 == 2
