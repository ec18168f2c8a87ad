import datetime
import time


def test_local_midnight_is_utc_midnight():
    local = datetime.datetime.fromtimestamp(0)
    assert (local.hour, local.minute) == (0, 0)
    assert time.strftime("%Z") == "UTC"
