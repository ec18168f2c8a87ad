from app.llm_helpers import truncate_for_prompt


def test_truncate_for_prompt_cuts_at_word_boundary():
    text = "Invoice INV-00042 for Northwind GmbH covers licences and onboarding"

    assert truncate_for_prompt(text, max_chars=40) == "Invoice INV-00042 for Northwind [...]"
    assert truncate_for_prompt("short", max_chars=40) == "short"
