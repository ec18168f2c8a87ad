REGISTRY = {}


def test_register():
    REGISTRY["csv"] = ","


def test_lookup():
    assert REGISTRY["csv"] == ","
