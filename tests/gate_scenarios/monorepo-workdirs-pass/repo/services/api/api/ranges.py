def parse_range(header):
    start, end = header.removeprefix("bytes=").split("-")
    return int(start), int(end)
