"""Vector search. The integration tests run against LanceDB in CI (service
container, LANCEDB_URI set) and against the in-memory store elsewhere."""

import os

import pytest

from core.vector_store import InMemoryVectorStore, connect, cosine


@pytest.fixture
def store():
    if os.environ.get("LANCEDB_URI"):
        pytest.importorskip("lancedb")
    return connect(dim=3)


def test_cosine_of_identical_vectors_is_one():
    assert cosine([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == pytest.approx(1.0)


def test_dimension_mismatch_is_refused():
    with pytest.raises(ValueError, match="expected 3 dimensions"):
        InMemoryVectorStore(dim=3).upsert("mug", [1.0, 0.0])


@pytest.mark.integration
def test_upsert_and_count(store):
    store.upsert("mug", [1.0, 0.0, 0.0])
    store.upsert("tee", [0.0, 1.0, 0.0])
    assert len(store) == 2


@pytest.mark.integration
def test_nearest_neighbour_comes_first(store):
    store.upsert("mug", [1.0, 0.1, 0.0])
    store.upsert("cup", [0.9, 0.2, 0.0])
    store.upsert("tee", [0.0, 0.0, 1.0])

    hits = store.search([1.0, 0.0, 0.0], k=2)

    assert [key for key, _ in hits] == ["mug", "cup"]


@pytest.mark.integration
def test_upsert_replaces_existing_vector(store):
    store.upsert("mug", [1.0, 0.0, 0.0])
    store.upsert("mug", [0.0, 0.0, 1.0])

    (key, score), = store.search([0.0, 0.0, 1.0], k=1)

    assert key == "mug"
    assert score == pytest.approx(1.0)
