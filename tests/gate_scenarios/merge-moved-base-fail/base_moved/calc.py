def add(a, b):
    return a + b


def average(values):
    return sum(values) / len(values)
