"""Import the sample catalogue shipped in tests/data/books.json."""

import shutil
import time

from bookshelf import JsonStore, search


def test_fixture_file_loads(books_json):
    time.sleep(0.1)  # demo pacing: lets the live run be followed in `gateui demo`
    catalog = JsonStore(books_json).load()

    assert len(catalog) == 8
    assert catalog.get("0-201-61622-X").title == "The Pragmatic Programmer"


def test_resaving_normalizes_isbns(tmp_path, books_json):
    copy = tmp_path / "books.json"
    shutil.copy(books_json, copy)
    store = JsonStore(copy)

    store.save(store.load())

    text = copy.read_text()
    assert "978-0-14-143960-0" not in text
    assert "9780141439600" in text
    assert "9780201616224" in text


def test_search_over_imported_catalogue(books_json):
    catalog = JsonStore(books_json).load()

    titles = [b.title for b in search(catalog, "programming")]

    assert titles == ["Structure and Interpretation of Computer Programs", "The Pragmatic Programmer"]
