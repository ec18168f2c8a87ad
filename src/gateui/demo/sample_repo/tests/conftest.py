"""Shared fixtures, and folder-based markers: every test under tests/unit is
marked ``unit``, under tests/integration ``integration``, under tests/smoke
``smoke``. ``slow`` is set by hand on the tests that need it."""

from pathlib import Path

import pytest

from bookshelf import Book, Catalog

TESTS_DIR = Path(__file__).parent
DATA_DIR = TESTS_DIR / "data"
FOLDER_MARKERS = {
    "unit": pytest.mark.unit,
    "integration": pytest.mark.integration,
    "smoke": pytest.mark.smoke,
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        try:
            folder = item.path.relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        marker = FOLDER_MARKERS.get(folder)
        if marker is not None:
            item.add_marker(marker)


@pytest.fixture
def books():
    return [
        Book.create("9780141439518", "Pride and Prejudice", ["Jane Austen"], 1813,
                    ["classic", "romance"], copies=2),
        Book.create("978-0-14-143960-0", "Emma", ["Jane Austen"], 1815, ["classic"]),
        Book.create("9780141439471", "Frankenstein", ["Mary Shelley"], 1818, ["classic", "horror"]),
        Book.create("020161622X", "The Pragmatic Programmer", ["Andrew Hunt", "David Thomas"],
                    1999, ["programming"]),
    ]


@pytest.fixture
def catalog(books):
    return Catalog(books)


@pytest.fixture
def books_json():
    return DATA_DIR / "books.json"
