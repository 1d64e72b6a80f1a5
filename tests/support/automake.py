"""pytest plugin: one Automake line (``PASS:``/``FAIL:``/``SKIP:`` <test id>) per test case.

ptest-runner passes these lines on and oe-core's ptest log parser counts them; ``run-ptest``
loads the plugin with ``-p tests.support.automake``. It uses only hooks that exist from pytest
7.1 (kirkstone) to 9 (wrynose), so no release needs oe-core's ``ptest-python-pytest`` class or
the automake-output package. pytest's exit status is left alone. A test module that cannot be
collected (an import the image lacks) and a run that selected no tests print FAIL lines too:
a suite that tested nothing never looks green, whatever a parser does with the exit status.
"""

from __future__ import annotations

import pytest

# Worst first: a test whose setup passed, call skipped and teardown failed is a FAIL.
SEVERITY = ("FAIL", "SKIP", "PASS")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    if getattr(report, "wasxfail", None) is not None:
        return _one_line(f"expected failure: {report.wasxfail}" if report.wasxfail
                         else "expected failure")
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return _one_line(longrepr[2])
    return _one_line(longrepr or "skipped")


class AutomakeLines:
    """Folds setup, call and teardown of a test into one result, printed after its teardown."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.pending: dict[str, tuple[str, str]] = {}

    def write(self, result: str, name: str, comment: str = "") -> None:
        line = f"{result}: {name}" + (f" # {comment}" if comment else "")
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            print(line, flush=True)
        else:
            reporter.write_line(line)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            outcome = ("FAIL", "" if report.when == "call" else f"error in {report.when}")
        elif report.skipped:
            outcome = ("SKIP", _skip_reason(report))
        elif report.when == "call":
            outcome = ("PASS", "")
        else:
            outcome = None
        known = self.pending.get(report.nodeid)
        if outcome is not None and (known is None
                                    or SEVERITY.index(outcome[0]) < SEVERITY.index(known[0])):
            self.pending[report.nodeid] = outcome
        if report.when == "teardown":
            result, comment = self.pending.pop(report.nodeid, ("FAIL", "no result recorded"))
            self.write(result, report.nodeid, comment)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.write("FAIL", report.nodeid or "collection", "cannot collect")
        elif report.skipped:
            self.write("SKIP", report.nodeid, _skip_reason(report))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            self.write("FAIL", "no-tests-ran", f"pytest exit status {int(exitstatus)}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(AutomakeLines(config), "automake-lines")
