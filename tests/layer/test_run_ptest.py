"""run-ptest, run on the host against the staged package, says what pytest says: one
PASS/FAIL/SKIP line per test case, a failing test gives FAIL and a non-zero exit, a run that
tests nothing never passes, and the packaged tests collect without the checkout or host tools.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.layer import recipe
from tests.layer.staging import Staged

LINE = re.compile(r"^(PASS|FAIL|SKIP): (\S+)(?: # (.*))?$", re.MULTILINE)
SAMPLE = '''\
import pathlib
import pytest
import pycharge

STAGED = pathlib.Path(__import__("os").environ["STAGED_SITE"])

def test_installed_package_is_used():
    assert pathlib.Path(pycharge.__file__).is_relative_to(STAGED)

@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    assert n

@pytest.mark.skip(reason="needs the Charge Control C board")
def test_on_the_board():
    pass

@pytest.mark.xfail(reason="known")
def test_expected_failure():
    assert False

@pytest.fixture
def broken():
    yield
    raise RuntimeError("teardown")

def test_teardown_error(broken):
    pass
'''
FAILING = "def test_fails():\n    assert 1 == 2\n"


def ptest_dir(tmp_path: Path, **tests: str) -> Path:
    """A ptest directory as the recipe lays it out, holding the given test modules."""
    ptest = tmp_path / "ptest"
    (ptest / "tests" / "support").mkdir(parents=True)
    (ptest / "tests" / "__init__.py").touch()
    (ptest / "tests" / "support" / "__init__.py").touch()
    shutil.copy(recipe.CHECKOUT / "tests/support/automake.py", ptest / "tests/support")
    shutil.copy(recipe.CHECKOUT / "pyproject.toml", ptest)
    shutil.copy(recipe.FILES / "run-ptest", ptest)
    for name, text in tests.items():
        (ptest / "tests" / f"{name}.py").write_text(text)
    return ptest


def run_ptest(ptest: Path, staged: Staged, *args: str) -> subprocess.CompletedProcess[str]:
    """As ptest-runner does: run-ptest from another directory, output and status collected."""
    env = staged.env({**os.environ, "STAGED_SITE": str(staged.site_packages)})
    return subprocess.run([str(ptest / "run-ptest"), *args], check=False, cwd="/", env=env,
                          capture_output=True, text=True, timeout=600)


def junit_results(report: Path) -> dict[str, str]:
    """pytest's own verdict per test, from its JUnit XML, as Automake words."""
    results = {}
    for case in ET.parse(report).iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        name = f"{module}.py::{case.get('name')}"
        kinds = {child.tag for child in case}
        results[name] = ("FAIL" if kinds & {"failure", "error"} else
                         "SKIP" if "skipped" in kinds else "PASS")
    return results


def test_one_line_per_test_case_matching_pytest(tmp_path: Path, staged: Staged) -> None:
    ptest = ptest_dir(tmp_path, test_sample=SAMPLE)
    report = tmp_path / "junit.xml"
    result = run_ptest(ptest, staged, f"--junitxml={report}")
    lines = {name: word for word, name, _ in LINE.findall(result.stdout)}
    assert lines == {
        "tests/test_sample.py::test_installed_package_is_used": "PASS",
        "tests/test_sample.py::test_parametrized[1]": "PASS",
        "tests/test_sample.py::test_parametrized[2]": "PASS",
        "tests/test_sample.py::test_on_the_board": "SKIP",
        "tests/test_sample.py::test_expected_failure": "SKIP",
        "tests/test_sample.py::test_teardown_error": "FAIL",
    }, result.stdout
    assert lines == junit_results(report)
    assert result.returncode == 1
    assert "SKIP: tests/test_sample.py::test_on_the_board # Skipped: needs the Charge Control C " \
           "board" in result.stdout


def test_a_failing_test_gives_fail_and_a_non_zero_exit(tmp_path: Path, staged: Staged) -> None:
    ptest = ptest_dir(tmp_path, test_failing=FAILING, test_passing="def test_ok():\n    pass\n")
    result = run_ptest(ptest, staged)
    assert "FAIL: tests/test_failing.py::test_fails" in result.stdout.splitlines()
    assert "PASS: tests/test_passing.py::test_ok" in result.stdout.splitlines()
    assert result.returncode == 1


def test_all_passing_exits_zero(tmp_path: Path, staged: Staged) -> None:
    result = run_ptest(ptest_dir(tmp_path, test_passing="def test_ok():\n    pass\n"), staged)
    assert LINE.findall(result.stdout) == [("PASS", "tests/test_passing.py::test_ok", "")]
    assert result.returncode == 0


def test_no_tests_ran_is_a_failure(tmp_path: Path, staged: Staged) -> None:
    result = run_ptest(ptest_dir(tmp_path, test_passing="def test_ok():\n    pass\n"), staged,
                       "-k", "no_such_test")
    assert result.returncode == 5
    assert LINE.findall(result.stdout) == [("FAIL", "no-tests-ran", "pytest exit status 5")]


def test_a_module_that_cannot_be_imported_fails_and_the_others_still_run(
        tmp_path: Path, staged: Staged) -> None:
    ptest = ptest_dir(tmp_path, test_broken="import module_missing_from_the_image\n",
                      test_passing="def test_ok():\n    pass\n")
    result = run_ptest(ptest, staged)
    assert {(w, n) for w, n, _ in LINE.findall(result.stdout)} == {
        ("FAIL", "tests/test_broken.py"), ("PASS", "tests/test_passing.py::test_ok")}
    assert result.returncode != 0


@pytest.mark.slow
def test_the_packaged_tests_collect_from_the_ptest_directory(staged: Staged) -> None:
    """Every packaged test imports with the staged package and without the checkout."""
    result = run_ptest(staged.ptest, staged, "--collect-only", "-q")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "FAIL:" not in result.stdout
    assert not any((staged.ptest / d).exists()
                   for d in recipe.values(recipe.recipe(), "PYCHARGE_PTEST_HOST_ONLY"))
