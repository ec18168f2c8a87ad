def backoff(n):
    return 2 ** n
