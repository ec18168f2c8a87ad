import pytest

from core.pagination import paginate

ITEMS = list(range(1, 46))  # 45 items


@pytest.mark.parametrize(
    ("page", "per_page", "first", "count"),
    [(1, 20, 1, 20), (2, 20, 21, 20), (3, 20, 41, 5), (4, 20, None, 0)],
)
def test_page_slices(page, per_page, first, count):
    result = paginate(ITEMS, page, per_page)
    assert len(result.items) == count
    assert (result.items[0] if result.items else None) == first


@pytest.mark.parametrize(("total", "pages"), [(0, 0), (45, 3), (40, 2)])
def test_page_count(total, pages):
    assert paginate(list(range(total)), per_page=20).pages == pages


def test_has_next():
    assert paginate(ITEMS, 2, 20).has_next
    assert not paginate(ITEMS, 3, 20).has_next


@pytest.mark.parametrize(("page", "per_page"), [(0, 20), (1, 101)])
def test_invalid_arguments(page, per_page):
    with pytest.raises(ValueError):
        paginate(ITEMS, page, per_page)
