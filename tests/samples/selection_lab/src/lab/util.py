SCALE = 2


def double(x):
    return x * SCALE


def halve(x):
    return x / 2
