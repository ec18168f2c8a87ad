def add(a: int, b: int) -> int:
    return a + b


def mean(values: list[float]) -> str:
    return sum(values) / len(values)
