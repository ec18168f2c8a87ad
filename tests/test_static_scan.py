"""Finding tests and markers by reading files, the way pytest's collection would."""

from __future__ import annotations

import os
from pathlib import Path
from textwrap import dedent

import pytest

from gateui.core.layout.pytest_config import PytestConfig, read_config_in
from gateui.core.layout.static_scan import StaticScan, StaticTest, scan_project

pytestmark = pytest.mark.unit


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")


def config_of(root: Path) -> PytestConfig | None:
    return read_config_in(root)


def scan(root: Path, files: dict[str, str], skip_dirs: tuple[Path, ...] = ()) -> StaticScan:
    make(root, files)
    return scan_project(root, config_of(root), skip_dirs)


def by_id(result: StaticScan) -> dict[str, StaticTest]:
    return {test.nodeid: test for test in result.tests}


# --------------------------------------------------------------------------- tests in a file


def test_functions_classes_and_lines(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "tests/test_basic.py": """\
                import pytest

                def helper():
                    pass

                def test_one():
                    pass

                async def test_async():
                    pass

                @pytest.fixture
                def test_data():  # a fixture, not a test
                    return 1

                class TestThing:
                    def test_method(self):
                        pass

                    def helper(self):
                        pass

                class Helper:
                    def test_not_collected(self):
                        pass
                """,
        },
    )
    assert [(t.nodeid, t.line) for t in result.tests] == [
        ("tests/test_basic.py::test_one", 6),
        ("tests/test_basic.py::test_async", 9),
        ("tests/test_basic.py::TestThing::test_method", 17),
    ]
    assert result.files == ("tests/test_basic.py",)
    assert all(t.path == "tests/test_basic.py" for t in result.tests)


def test_decorators_on_functions_and_classes_and_builtin_marks(tmp_path: Path) -> None:
    tests = by_id(
        scan(
            tmp_path,
            {
                "test_marks.py": """\
                    import pytest

                    @pytest.mark.slow
                    @pytest.mark.parametrize("x", [1, 2])
                    @pytest.mark.skip(reason="later")
                    def test_many(x):
                        pass

                    @pytest.mark.api
                    class TestApi:
                        @pytest.mark.slow
                        def test_get(self):
                            pass

                        @pytest.mark.api
                        def test_dedup(self):
                            pass
                    """,
            },
        )
    )
    many = tests["test_marks.py::test_many"]
    assert many.markers == ("slow", "parametrize", "skip")
    assert many.parametrized
    assert tests["test_marks.py::TestApi::test_get"].markers == ("slow", "api")
    assert tests["test_marks.py::TestApi::test_dedup"].markers == ("api",)
    assert not tests["test_marks.py::TestApi::test_get"].parametrized


def test_pytestmark_module_list_and_class_level(tmp_path: Path) -> None:
    tests = by_id(
        scan(
            tmp_path,
            {
                "test_pm.py": """\
                    import pytest

                    pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("db")]

                    def test_module_level():
                        pass

                    class TestGroup:
                        pytestmark = pytest.mark.smoke

                        def test_in_class(self):
                            pass

                    class TestParam:
                        pytestmark = [pytest.mark.parametrize("n", [1, 2])]

                        def test_p(self, n):
                            pass
                    """,
            },
        )
    )
    assert tests["test_pm.py::test_module_level"].markers == ("integration", "usefixtures")
    assert tests["test_pm.py::TestGroup::test_in_class"].markers == (
        "smoke",
        "integration",
        "usefixtures",
    )
    assert tests["test_pm.py::TestParam::test_p"].parametrized


def test_pytest_and_mark_aliases(tmp_path: Path) -> None:
    tests = by_id(
        scan(
            tmp_path,
            {
                "test_alias.py": """\
                    import pytest as pt
                    from pytest import mark
                    from pytest import mark as m

                    slow = pt.mark.slow
                    both = [slow, m.db]

                    @pt.mark.one
                    def test_pt():
                        pass

                    @mark.smoke
                    def test_mark():
                        pass

                    @m.two(3)
                    def test_m():
                        pass

                    @slow
                    def test_variable():
                        pass

                    @pt.mark.flaky.with_args(lambda: None)
                    def test_with_args():
                        pass

                    class TestVars:
                        pytestmark = both

                        def test_v(self):
                            pass

                    @other.mark.nope
                    def test_not_pytest():
                        pass
                    """,
            },
        )
    )
    assert tests["test_alias.py::test_pt"].markers == ("one",)
    assert tests["test_alias.py::test_mark"].markers == ("smoke",)
    assert tests["test_alias.py::test_m"].markers == ("two",)
    assert tests["test_alias.py::test_variable"].markers == ("slow",)
    assert tests["test_alias.py::test_with_args"].markers == ("flaky",)
    assert tests["test_alias.py::TestVars::test_v"].markers == ("slow", "db")
    assert tests["test_alias.py::test_not_pytest"].markers == ()


def test_nested_classes_and_init(tmp_path: Path) -> None:
    tests = by_id(
        scan(
            tmp_path,
            {
                "test_nested.py": """\
                    import pytest

                    @pytest.mark.outer
                    class TestOuter:
                        class TestInner:
                            def test_deep(self):
                                pass

                        class TestInnerWithInit:
                            def __init__(self):
                                pass

                            def test_never(self):
                                pass

                    class TestWithInit:
                        def __init__(self, value):
                            self.value = value

                        def test_never(self):
                            pass

                    class TestWithNew:
                        def __new__(cls):
                            return super().__new__(cls)

                        def test_never(self):
                            pass
                    """,
            },
        )
    )
    assert list(tests) == ["test_nested.py::TestOuter::TestInner::test_deep"]
    assert tests["test_nested.py::TestOuter::TestInner::test_deep"].markers == ("outer",)


def test_inherited_tests_unittest_and_dunder_test(tmp_path: Path) -> None:
    tests = by_id(
        scan(
            tmp_path,
            {
                "test_classes.py": """\
                    import unittest
                    import pytest

                    @pytest.mark.base
                    class TestBase:
                        def test_shared(self):
                            pass

                        def test_overridden(self):
                            pass

                    class TestChild(TestBase):
                        def test_overridden(self):
                            pass

                    class Legacy(unittest.TestCase):
                        def test_u(self):
                            pass

                        def check(self):
                            pass

                    class TestOff:
                        __test__ = False

                        def test_off(self):
                            pass

                    class OptIn:
                        __test__ = True

                        def test_in(self):
                            pass
                    """,
            },
        )
    )
    assert list(tests) == [
        "test_classes.py::TestBase::test_shared",
        "test_classes.py::TestBase::test_overridden",
        "test_classes.py::TestChild::test_shared",  # inherited members come first, like pytest
        "test_classes.py::TestChild::test_overridden",
        "test_classes.py::Legacy::test_u",
        "test_classes.py::OptIn::test_in",
    ]
    assert tests["test_classes.py::TestChild::test_shared"].line == 6
    assert tests["test_classes.py::TestChild::test_overridden"].line == 13
    assert tests["test_classes.py::TestChild::test_shared"].markers == ("base",)


def test_module_namespace_rules(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "test_ns.py": """\
                import sys

                def test_twice():
                    pass

                if sys.platform == "win32":
                    def test_windows():
                        pass
                else:
                    def test_elsewhere():
                        pass

                def test_twice():
                    pass
                """,
            "test_off.py": "__test__ = False\n\ndef test_hidden():\n    pass\n",
        },
    )
    # A redefinition keeps the first position with the last definition, like a dict.
    assert [(t.nodeid, t.line) for t in result.tests] == [
        ("test_ns.py::test_twice", 13),
        ("test_ns.py::test_windows", 7),
        ("test_ns.py::test_elsewhere", 10),
    ]


def test_custom_python_classes_and_functions_with_globs(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "pytest.ini": """\
                [pytest]
                python_classes = *Suite Check
                python_functions = check_ *_should_*
                """,
            "test_custom.py": """\
                def check_a():
                    pass

                def it_should_work():
                    pass

                def test_default_name_is_off():
                    pass

                class LoginSuite:
                    def check_b(self):
                        pass

                class CheckOut:
                    def check_c(self):
                        pass

                class TestDefault:
                    def check_d(self):
                        pass
                """,
        },
    )
    assert [t.nodeid for t in result.tests] == [
        "test_custom.py::check_a",
        "test_custom.py::it_should_work",
        "test_custom.py::LoginSuite::check_b",
        "test_custom.py::CheckOut::check_c",
    ]


# --------------------------------------------------------------------------- finding files


def test_file_patterns_and_skipped_folders(tmp_path: Path) -> None:
    test = "def test_it():\n    pass\n"
    result = scan(
        tmp_path,
        {
            "test_root.py": test,
            "pkg/thing_test.py": test,
            "pkg/helpers.py": test,
            "pkg/test_data.txt": test,
            "build/test_built.py": test,
            "dist/test_dist.py": test,
            "proj.egg/test_egg.py": test,
            ".tox/test_hidden.py": test,
            "node_modules/test_js.py": test,
            "__pycache__/test_cached.py": test,
            "env/pyvenv.cfg": "home = /usr\n",
            "env/test_venv.py": test,
            "conda/conda-meta/history": "",
            "conda/test_conda.py": test,
            "sub_project/test_owned.py": test,
        },
        skip_dirs=(tmp_path / "sub_project",),
    )
    assert result.files == ("pkg/thing_test.py", "test_root.py")


def test_norecursedirs_patterns_replace_the_defaults(tmp_path: Path) -> None:
    test = "def test_it():\n    pass\n"
    result = scan(
        tmp_path,
        {
            "pytest.ini": "[pytest]\nnorecursedirs = legacy_* tests/fixtures\n",
            "legacy_v1/test_old.py": test,
            "tests/fixtures/test_sample.py": test,
            "tests/test_real.py": test,
            # Build output stays out even without "build" (collection gets --ignore=build).
            "build/test_built.py": test,
            ".cache/test_hidden.py": test,  # hidden folders stay out even without ".*"
        },
    )
    assert result.files == ("tests/test_real.py",)


def test_python_files_glob_with_a_slash_matches_the_path(tmp_path: Path) -> None:
    test = "def test_it():\n    pass\n"
    result = scan(
        tmp_path,
        {
            "pytest.ini": "[pytest]\npython_files = checks/*.py test_*.py\n",
            "a/checks/login.py": test,
            "a/login.py": test,
            "a/checks/deeper/login.py": test,  # * crosses "/" in pytest's fnmatch_ex
            "a/test_x.py": test,
        },
    )
    assert result.files == ("a/checks/deeper/login.py", "a/checks/login.py", "a/test_x.py")


def test_testpaths_limit_and_order_the_scan(tmp_path: Path) -> None:
    test = "def test_it():\n    pass\n"
    result = scan(
        tmp_path,
        {
            "pytest.ini": "[pytest]\ntestpaths = tests/unit tests/i* scripts/check.py\n",
            "tests/unit/test_u.py": test,
            "tests/integration/test_i.py": test,
            "tests/e2e/test_e.py": test,
            "test_outside.py": test,
            "scripts/check.py": test,  # given explicitly: collected whatever its name
        },
    )
    assert result.files == (
        "tests/unit/test_u.py",
        "tests/integration/test_i.py",
        "scripts/check.py",
    )
    assert "scripts/check.py::test_it" in by_id(result)


def test_testpaths_matching_nothing_fall_back_to_the_root(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {"pytest.ini": "[pytest]\ntestpaths = missing\n", "test_x.py": "def test_x(): pass\n"},
    )
    assert result.files == ("test_x.py",)


def test_testpaths_are_relative_to_the_config_folder(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["pkg/tests"]\n',
            "pkg/tests/test_a.py": "def test_a(): pass\n",
            "pkg/other/test_b.py": "def test_b(): pass\n",
        },
    )
    config = read_config_in(tmp_path)
    result = scan_project(tmp_path / "pkg", config)
    assert result.files == ("tests/test_a.py",)
    assert result.tests[0].nodeid == "tests/test_a.py::test_a"


def test_no_config_uses_pytests_defaults(tmp_path: Path) -> None:
    make(tmp_path, {"t/test_a.py": "def test_a(): pass\n", "t/build/test_b.py": ""})
    result = scan_project(tmp_path, None)
    assert result.files == ("t/test_a.py",)


# --------------------------------------------------------------------------- errors and uses


def test_syntax_error_is_reported_and_the_scan_goes_on(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "test_a_broken.py": "import pytest\n\n\ndef test_oops(:\n    pass\n",
            "test_b_fine.py": "def test_fine():\n    pass\n",
            "conftest.py": "def broken(\n",
        },
    )
    assert [t.nodeid for t in result.tests] == ["test_b_fine.py::test_fine"]
    assert result.files == ("test_a_broken.py", "test_b_fine.py")
    errors = {(path, line) for path, line, _ in result.syntax_errors}
    assert errors == {("test_a_broken.py", 4), ("conftest.py", 1)}
    assert all(message for _, _, message in result.syntax_errors)


def test_marker_uses_in_conftest_hooks_and_test_files(tmp_path: Path) -> None:
    result = scan(
        tmp_path,
        {
            "pytest.ini": "[pytest]\ntestpaths = tests\n",
            "conftest.py": """\
                import pytest


                def pytest_collection_modifyitems(items):
                    for item in items:
                        item.add_marker(pytest.mark.unit)
                """,
            "tests/conftest.py": """\
                def pytest_runtest_setup(item):
                    import pytest as pt

                    if item.get_closest_marker("slow"):
                        item.add_marker(pt.mark.xfail(reason="slow"))
                """,
            "tests/test_uses.py": """\
                import pytest

                SLOW = pytest.mark.slow

                @pytest.mark.parametrize(
                    "x",
                    [1, pytest.param(2, marks=pytest.mark.flaky)],
                )
                def test_p(x):
                    assert "pytest.mark.not_a_use" != x  # strings and comments: pytest.mark.no
                """,
        },
    )
    assert result.marker_uses == (
        ("unit", "conftest.py", 6),
        ("xfail", "tests/conftest.py", 5),
        ("slow", "tests/test_uses.py", 3),
        ("parametrize", "tests/test_uses.py", 5),
        ("flaky", "tests/test_uses.py", 7),
    )
    # pytest.param marks apply to one parameter set only: not the test's own markers.
    assert result.tests[0].markers == ("parametrize",)


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "test_change.py"
    path.write_text("def test_before():\n    pass\n", encoding="utf-8")
    assert [t.nodeid for t in scan_project(tmp_path, None).tests] == ["test_change.py::test_before"]
    stat = path.stat()
    path.write_text("def test_after_():\n    pass\n", encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert [t.nodeid for t in scan_project(tmp_path, None).tests] == ["test_change.py::test_after_"]
