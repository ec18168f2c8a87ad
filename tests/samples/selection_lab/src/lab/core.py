from .util import double


def compute(x):
    return double(x) + 1


def describe(x):
    return f"value {x}"
