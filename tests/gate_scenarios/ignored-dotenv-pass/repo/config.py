from pathlib import Path


def settings():
    values = {"currency": "EUR"}
    dotenv = Path(__file__).with_name(".env")
    if dotenv.exists():
        for line in dotenv.read_text().splitlines():
            key, _, value = line.partition("=")
            values[key.lower()] = value
    return values
