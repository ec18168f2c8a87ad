import time

import pytest

from bookshelf import Book, search


def test_title_match_ranks_above_tag_match(catalog):
    catalog.add(Book.create("9780141187761", "Nineteen Eighty-Four", ["George Orwell"], 1949,
                            ["classic", "dystopia", "horror"]))

    results = search(catalog, "horror frankenstein")

    assert [b.title for b in results] == ["Frankenstein", "Nineteen Eighty-Four"]


def test_author_search(catalog):
    time.sleep(0.05)  # demo pacing: lets the live run be followed in `gateui demo`
    assert [b.title for b in search(catalog, "Jane Austen")] == ["Pride and Prejudice", "Emma"]


def test_year_filter(catalog):
    results = search(catalog, "classic", year_from=1814, year_to=1900)

    assert [b.title for b in results] == ["Emma", "Frankenstein"]


def test_empty_query_finds_nothing(catalog):
    assert search(catalog, "  --  ") == []


@pytest.mark.xfail(reason="search does not fold accents yet: 'bronte' should find 'Brontë'")
def test_search_folds_accents(catalog):
    catalog.add(Book.create("9780141439556", "Wuthering Heights", ["Emily Brontë"], 1847))

    assert [b.title for b in search(catalog, "bronte")] == ["Wuthering Heights"]
