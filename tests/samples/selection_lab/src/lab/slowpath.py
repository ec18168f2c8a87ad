import time


def work(seconds):
    time.sleep(seconds)
    return seconds
