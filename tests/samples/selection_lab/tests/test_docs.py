from pathlib import Path


def test_notes_txt_is_documented():
    # Checks that docs/notes.txt exists in the repository layout.
    assert (Path(__file__).parents[1] / "docs" / "notes.txt").name == "notes.txt"
