import os


def test_ci_config():
    if os.environ.get("CI"):
        assert os.environ.get("GITHUB_EVENT_NAME") == "push", "release checks run on push"
