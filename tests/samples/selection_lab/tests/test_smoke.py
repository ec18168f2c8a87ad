import pytest

from lab.core import compute


@pytest.mark.smoke
def test_smoke_compute():
    assert compute(0) == 1
