"""Module-level edits select by what they changed, not by who imports the file.

Each test records a full run of the demo repository (``gateui run``), makes one refactoring edit
the way a developer would, and checks what ``gateui run --affected --json`` runs — and, for
edits that break tests, that nothing a plain full run finds failing is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from helpers import CliResult, edit_once, failing_in_full_run, git

pytestmark = pytest.mark.integration

Cli = Callable[..., CliResult]
LOANS = "src/bookshelf/loans.py"
TEST_LOANS = "tests/unit/test_loans.py"

# Tests that call Loans.checkout (it builds every Loan and reads due_date).
CHECKOUT_USERS = {
    f"{TEST_LOANS}::test_checkout_reduces_availability",
    f"{TEST_LOANS}::test_no_copies_left",
    f"{TEST_LOANS}::test_same_member_cannot_borrow_twice",
    f"{TEST_LOANS}::test_renewals_are_limited",
    f"{TEST_LOANS}::test_fine_for_late_return[returned0-fine0]",
    f"{TEST_LOANS}::test_fine_for_late_return[returned1-fine1]",
    f"{TEST_LOANS}::test_fine_is_capped",
    f"{TEST_LOANS}::test_overdue_report",
    "tests/smoke/test_smoke.py::test_add_search_borrow_return",
    "tests/smoke/test_smoke.py::test_late_return_costs_a_fine",
}
DUE_DATE_TESTS = {
    f"{TEST_LOANS}::test_due_date_is_21_days_later",
    f"{TEST_LOANS}::test_due_date_on_sunday_moves_to_monday",
}


def affected(cli: Cli, repo: Path) -> dict[str, str]:
    """node id → reason for every test ``run --affected`` ran."""
    result = cli(["run", "--affected", "--json"], repo)
    assert result.code in (0, 1), result.stderr
    events = result.json_lines()
    assert events[-1]["event"] == "summary"
    return {e["nodeid"]: e["reason"] for e in events if e["event"] == "test"}


def recorded_package(cli: Cli, root: Path, module: str, tests: str) -> None:
    """A repository of package ``pkg`` (its module ``pkg/mod.py``) and ``tests/test_x.py``,
    committed and recorded by a full run."""
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(module)
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text(tests)
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    assert cli(["run"], root).code == 0


@pytest.fixture
def demo(sample_repo: Callable[[str], Path], cli: Cli) -> Path:
    repo = sample_repo("demo")
    assert cli(["run"], repo).code == 0
    return repo


EDITS = {
    "add import": (
        LOANS,
        "from decimal import Decimal\n",
        "from decimal import Decimal\nimport os\n",
    ),
    "add function": (
        LOANS,
        "class LoanError(Exception):",
        "def renewal_limit() -> int:\n    return MAX_RENEWALS\n\n\nclass LoanError(Exception):",
    ),
    "add method": (
        LOANS,
        "    def days_overdue(",
        "    def is_renewed(self) -> bool:\n        return self.renewals > 0\n\n"
        "    def days_overdue(",
    ),
    "comment and docstring": (
        LOANS,
        '"""Loans and due dates. All dates are passed in: nothing reads the clock."""',
        '"""Loans and their due dates; all dates are passed in."""\n# Nothing reads the clock.',
    ),
    "reformatted": (
        LOANS,
        'MAX_FINE = Decimal("10.00")',
        'MAX_FINE = Decimal(\n    "10.00"\n)  # capped',
    ),
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_an_edit_no_test_can_observe_selects_nothing(demo: Path, cli: Cli, name: str) -> None:
    rel, old, new = EDITS[name]
    edit_once(demo, rel, old, new)
    assert affected(cli, demo) == {}


def test_a_changed_constant_selects_its_readers_through_a_default(demo: Path, cli: Cli) -> None:
    edit_once(demo, LOANS, "LOAN_DAYS = 21", "LOAN_DAYS = 22")
    selected = affected(cli, demo)
    assert failing_in_full_run(demo) <= set(selected)
    # due_date's default reads LOAN_DAYS; every test that calls due_date (directly or through
    # checkout and renew) can see it. Catalog, search, storage and ISBN tests cannot.
    assert set(selected) == CHECKOUT_USERS | DUE_DATE_TESTS
    assert selected[f"{TEST_LOANS}::test_due_date_is_21_days_later"] == (
        "executed bookshelf.loans.due_date; "
        "reads bookshelf.loans.due_date ← bookshelf.loans.LOAN_DAYS, changed"
    )


def test_a_constant_read_by_functions_selects_the_tests_that_ran_them(demo: Path, cli: Cli) -> None:
    edit_once(demo, LOANS, 'MAX_FINE = Decimal("10.00")', 'MAX_FINE = Decimal("1.00")')
    selected = affected(cli, demo)
    assert failing_in_full_run(demo) <= set(selected)
    assert set(selected) == {
        f"{TEST_LOANS}::test_fine_for_late_return[returned0-fine0]",
        f"{TEST_LOANS}::test_fine_for_late_return[returned1-fine1]",
        f"{TEST_LOANS}::test_fine_is_capped",
        "tests/smoke/test_smoke.py::test_late_return_costs_a_fine",
    }
    assert set(selected.values()) == {"reads bookshelf.loans.MAX_FINE, changed"}


def test_a_class_attribute_selects_the_tests_that_used_the_class(demo: Path, cli: Cli) -> None:
    edit_once(demo, LOANS, "    renewals: int = 0", "    renewals: int = 1")
    selected = affected(cli, demo)
    assert failing_in_full_run(demo) <= set(selected)
    assert set(selected) == CHECKOUT_USERS


def test_a_changed_decorator_selects_the_tests_that_used_the_class(demo: Path, cli: Cli) -> None:
    edit_once(demo, LOANS, "@dataclass(frozen=True)", "@dataclass(frozen=True, order=True)")
    selected = affected(cli, demo)
    assert set(selected) == CHECKOUT_USERS
    assert "bookshelf.loans.Loan, changed" in selected[f"{TEST_LOANS}::test_fine_is_capped"]


def test_a_function_moved_to_another_module(demo: Path, cli: Cli) -> None:
    source = (demo / LOANS).read_text()
    start = source.index("def due_date(")
    end = source.index("class Loans:")
    moved = source[start:end]
    (demo / "src/bookshelf/dates.py").write_text(
        "from datetime import date, timedelta\n\nLOAN_DAYS = 21\n\n\n" + moved.rstrip() + "\n"
    )
    (demo / LOANS).write_text(
        source[:start].replace(
            "from bookshelf.catalog import Catalog\n",
            "from bookshelf.catalog import Catalog\nfrom bookshelf.dates import due_date\n",
        )
        + source[end:]
    )
    selected = affected(cli, demo)
    assert failing_in_full_run(demo) == set()
    # Exactly the tests that call due_date, directly or through Loans.
    assert set(selected) == CHECKOUT_USERS | DUE_DATE_TESTS


def test_a_removed_name_another_module_imports_selects_its_importers(demo: Path, cli: Cli) -> None:
    edit_once(demo, LOANS, "def due_date(", "def due_on(")
    edit_once(
        demo,
        LOANS,
        "loan = Loan(book.isbn, member, on, due_date(on))",
        "loan = Loan(book.isbn, member, on, due_on(on))",
    )
    edit_once(demo, LOANS, "due=due_date(loan.due)", "due=due_on(loan.due)")
    truth = failing_in_full_run(demo)
    assert truth == {TEST_LOANS}, "test_loans imports due_date: its collection fails"
    # Callers of the renamed function are selected; what cannot reach it is not (asked before
    # the run below: once a test has run against the edit, it is not selected for it again).
    smoke = cli(["explain", "tests/smoke/test_smoke.py::test_late_return_costs_a_fine"], demo)
    assert "test_late_return_costs_a_fine: selected" in smoke.stdout
    isbn = cli(["explain", "tests/unit/test_isbn.py::test_format_isbn13"], demo)
    assert "test_format_isbn13: not selected" in isbn.stdout
    result = cli(["run", "--affected", "--json"], demo)
    broken = {e["where"] for e in result.json_lines() if e["event"] == "collection_error"}
    assert broken == {TEST_LOANS}


def test_a_name_read_at_import_before_it_is_bound_breaks_every_importer(
    demo: Path, cli: Cli
) -> None:
    edit_once(demo, LOANS, "LOAN_DAYS = 21\n", "")
    # The root conftest imports the package, which imports loans: nothing can run, and every
    # test is selected (the run itself reports the broken conftest).
    explained = cli(["explain", "tests/unit/test_isbn.py::test_format_isbn13"], demo).stdout
    assert (
        "test_format_isbn13: selected — imports bookshelf → bookshelf.loans "
        "(its import reads LOAN_DAYS before it is bound)"
    ) in explained


def test_a_new_test_function_runs(demo: Path, cli: Cli) -> None:
    (demo / TEST_LOANS).write_text(
        (demo / TEST_LOANS).read_text()
        + "\n\ndef test_loan_days_is_three_weeks():\n"
        + "    assert due_date(date(2024, 1, 1)).day == 22\n"
    )
    assert affected(cli, demo) == {
        f"{TEST_LOANS}::test_loan_days_is_three_weeks": "new test",
    }


def test_dynamic_modules_and_import_time_calls_select_every_importer(demo: Path, cli: Cli) -> None:
    edit_once(
        demo,
        LOANS,
        "LOAN_DAYS = 21\n",
        "LOAN_DAYS = 21\n\n\ndef setting(name: str) -> object:\n    return globals()[name]\n",
    )
    git(demo, "commit", "-qam", "settings by name")
    assert cli(["run"], demo).code == 0
    edit_once(demo, LOANS, "MAX_RENEWALS = 2", "MAX_RENEWALS = 2\nRENEWAL_NOTICE_DAYS = 3")
    selected = affected(cli, demo)
    assert len(selected) == 44
    assert selected["tests/unit/test_isbn.py::test_format_isbn13"] == (
        "imports bookshelf → bookshelf.loans "
        "(the module calls globals(): its names cannot be followed)"
    )
    edit_once(demo, LOANS, "RENEWAL_NOTICE_DAYS = 3", "print('loans loaded')")
    selected = affected(cli, demo)
    assert len(selected) == 44
    assert "a statement run at import changed" in selected[f"{TEST_LOANS}::test_fine_is_capped"]


def test_explain_shows_the_chain(demo: Path, cli: Cli) -> None:
    edit_once(demo, LOANS, 'MAX_FINE = Decimal("10.00")', 'MAX_FINE = Decimal("1.00")')
    explained = cli(["explain", f"{TEST_LOANS}::test_fine_is_capped"], demo).stdout
    assert "test_fine_is_capped: selected — reads bookshelf.loans.MAX_FINE, changed" in explained
    explained = cli(["explain", "tests/unit/test_isbn.py::test_format_isbn13"], demo).stdout
    assert "test_format_isbn13: not selected" in explained


def test_a_constant_a_test_module_imports_by_name_selects_its_readers(
    tmp_path: Path, cli: Cli
) -> None:
    """``from m import NAME`` binds the same name in the test module: a test reading it there
    observes an edit of it (python-dateutil's tests read ``EASTER_ORTHODOX`` this way)."""
    recorded_package(
        cli,
        tmp_path,
        "A = 1\nB = 2\n\n\ndef f(x):\n    return x * 10\n",
        "from pkg.mod import f\nfrom pkg.mod import A, B\n\n\n"
        "def test_b():\n    assert f(B) == 20\n\n\n"
        "def test_a():\n    assert f(A) == 10\n",
    )
    edit_once(tmp_path, "pkg/mod.py", "B = 2", "B = 1")

    ran = affected(cli, tmp_path)
    assert failing_in_full_run(tmp_path) == {"tests/test_x.py::test_b"}
    assert set(ran) == {"tests/test_x.py::test_b"}  # test_a reads A: it cannot observe B
    assert ran["tests/test_x.py::test_b"] == "reads test_x.B ← pkg.mod.B, changed"


def test_reruns_after_an_edit_and_its_revert_converge(tmp_path: Path, cli: Cli) -> None:
    """more-itertools: a full run with an edit of ``_sumprod``, then the edit reverted. The
    tests that read it ran against the edit: the revert reruns them once, then no more (they
    have run against the file as it is now), while the other recordings still hold the edit."""
    recorded_package(
        cli,
        tmp_path,
        "OFFSET = 0\n\n\ndef total(xs):\n    return sum(xs) + OFFSET\n\n\n"
        "def double(x):\n    return 2 * x\n",
        "from pkg.mod import double, total\n\n\n"
        "def test_total():\n    assert total([1, 2]) == 3\n\n\n"
        "def test_double():\n    assert double(2) == 4\n",
    )
    edit_once(tmp_path, "pkg/mod.py", "OFFSET = 0", "OFFSET = 1")
    assert cli(["run"], tmp_path).code == 1  # every recording now holds the edit
    git(tmp_path, "checkout", "--", ".")

    assert set(affected(cli, tmp_path)) == {"tests/test_x.py::test_total"}
    assert affected(cli, tmp_path) == {}
    why = cli(["explain", "tests/test_x.py::test_total"], tmp_path).stdout
    assert "test_total: not selected — it ran against pkg/mod.py as it is now" in why
