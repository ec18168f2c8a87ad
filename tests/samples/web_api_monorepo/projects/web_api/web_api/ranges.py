"""HTTP Range header parsing (RFC 9110, single byte ranges only)."""

from __future__ import annotations


class RangeNotSatisfiable(ValueError):
    """The requested range lies outside the resource."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive ``(start, end)`` byte range requested by ``header``.

    ``None`` means "send the whole resource": there is no header, it is not a
    ``bytes`` range, or it asks for several ranges (multipart responses are not
    supported, and RFC 9110 allows a server to ignore the header).

    Raises :class:`RangeNotSatisfiable` when the range cannot be served.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec:
        return None
    if "," in spec:
        return None

    first, sep, last = spec.strip().partition("-")
    if not sep:
        raise RangeNotSatisfiable(f"malformed range: {header!r}")
    try:
        if first == "":
            # Suffix range: the last N bytes.
            length = int(last)
            if length <= 0 or size == 0:
                raise RangeNotSatisfiable(f"empty suffix range: {header!r}")
            return max(size - length, 0), size - 1
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError as exc:
        raise RangeNotSatisfiable(f"malformed range: {header!r}") from exc

    if start < 0 or start >= size or end < start:
        raise RangeNotSatisfiable(f"range {header!r} outside 0-{size - 1}")
    return start, min(end, size - 1)


def content_range(start: int, end: int, size: int) -> str:
    return f"bytes {start}-{end}/{size}"
