def add(a, b):
    return a + b


def mean(values):
    return sum(values) / len(values)


def unused(x):
    if x:
        return 1
    return 2
