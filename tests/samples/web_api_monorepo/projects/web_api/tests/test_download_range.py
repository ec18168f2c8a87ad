"""GET /files/{id} with HTTP Range requests."""

import pytest

from web_api.ranges import RangeNotSatisfiable, parse_range

DATA = bytes(range(100))


@pytest.fixture
def file_id(api):
    return api.upload(DATA, filename="blob.bin").json()["file_id"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=90-", (90, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=95-500", (95, 99)),
        (None, None),
        ("items=0-5", None),
        ("bytes=0-1,5-6", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, len(DATA)) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=50-10", "bytes=abc-", "bytes=-0"])
def test_parse_range_unsatisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, len(DATA))


def test_partial_content(api, file_id):
    resp = api.get(f"/files/{file_id}", headers={"Range": "bytes=10-19"})

    assert resp.status == 206
    assert resp.body == DATA[10:20]
    assert resp.headers["Content-Range"] == "bytes 10-19/100"
    assert resp.headers["Content-Length"] == "10"


def test_full_download_advertises_ranges(api, file_id):
    resp = api.get(f"/files/{file_id}")

    assert resp.status == 200
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.body == DATA


def test_unsatisfiable_range_is_416(api, file_id):
    resp = api.get(f"/files/{file_id}", headers={"Range": "bytes=200-300"})

    assert resp.status == 416
    assert resp.headers["Content-Range"] == "bytes */100"


def test_unknown_file_is_404(api):
    assert api.get("/files/f_999999", headers={"Range": "bytes=0-1"}).status == 404
