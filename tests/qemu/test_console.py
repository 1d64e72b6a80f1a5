"""The QEMU harness's verdict: only a finished guest with passes and no failures is green."""

from __future__ import annotations

import io
import sys

from tests.qemu.console import END_MARKER, PtestLog, boot

# As the guest's serial console shows it (CRLF, kernel lines and pytest output in between).
GREEN = f"""\
[    2.436202] pci-host-generic 4010000000.pcie: can't claim ECAM area\r
QEMU-GUEST: userspace at 4.03 s uptime; armv7l 6.1.0-50-armmp; Python 3.11.2\r
START: ptest-runner\r
BEGIN: /usr/lib/pycharge/ptest\r
PASS: tests/runtime/test_clock.py::test_sim_clock_advances\r
SKIP: tests/hal/test_gpio.py::test_real_chip # needs gpio-sim\r
PASS: tests/broker/test_codec.py::test_round_trip[legacy]\r
DURATION: 212\r
END: /usr/lib/pycharge/ptest\r
STOP: ptest-runner\r
MEASURE: start-up to READY=1: 10.80 s\r
{END_MARKER} ptest-runner exit status 0\r
[   89.380012] reboot: Power down\r
"""


def parse(text: str, **options: bool) -> PtestLog:
    log = PtestLog(**options)
    for line in text.splitlines(keepends=True):
        log.feed(line)
    return log


def test_a_finished_run_with_passes_and_skips_is_green() -> None:
    log = parse(GREEN)
    assert log.problems() == []
    assert log.summary() == "2 passed, 0 failed, 1 skipped"
    assert log.results["SKIP"] == ["tests/hal/test_gpio.py::test_real_chip # needs gpio-sim"]
    assert "MEASURE: start-up to READY=1: 10.80 s" in log.notes


def test_one_failure_fails_the_run_and_is_named() -> None:
    log = parse(GREEN.replace("PASS: tests/broker", "FAIL: tests/broker"))
    assert log.problems() == ["FAIL: tests/broker/test_codec.py::test_round_trip[legacy]"]


def test_no_pass_at_all_fails() -> None:
    only_skips = "\n".join(line for line in GREEN.splitlines() if not line.startswith("PASS"))
    assert parse(only_skips).problems() == ["no test passed (no PASS: line on the console)"]


def test_a_guest_that_never_finished_fails() -> None:
    unfinished = GREEN.split(END_MARKER, maxsplit=1)[0]
    assert parse(unfinished).problems() == [
        f"the guest never printed its end marker ({END_MARKER})"]


def test_suite_exit_status_timeout_and_panic_fail() -> None:
    text = GREEN.replace("DURATION: 212", "ERROR: Exit status is 1\nTIMEOUT: /usr/lib/x/ptest\n"
                         "[ 9.1] Kernel panic - not syncing: Attempted to kill init!")
    assert parse(text).problems() == [
        "run-ptest exited with status 1",
        "/usr/lib/x/ptest was killed after staying silent too long",
        "the guest kernel panicked: [ 9.1] Kernel panic - not syncing: Attempted to kill init!"]


def test_results_must_start_the_line() -> None:
    log = parse(GREEN + "pytest printed something about FAIL: elsewhere\n")
    assert log.results["FAIL"] == []


def test_a_measurement_that_could_not_run_fails_only_when_required() -> None:
    text = GREEN.replace("MEASURE: start-up to READY=1: 10.80 s",
                         "MEASURE: not possible yet: /etc/pycharge/config.yaml is not installed")
    assert parse(text).problems() == []
    assert parse(text).measure_warnings() == [
        "not possible yet: /etc/pycharge/config.yaml is not installed"]
    assert parse(text, measure_required=True).problems() == [
        "not possible yet: /etc/pycharge/config.yaml is not installed"]


def test_boot_streams_the_console_and_kills_a_hung_guest() -> None:
    guest = ("import sys, time\n"
             "sys.stdout.write('PASS: tests/a.py::t\\r\\nhalf a line')\n"
             "sys.stdout.flush()\n"
             "time.sleep(60)\n")
    log, echo = PtestLog(), io.StringIO()
    status = boot([sys.executable, "-c", guest], log, timeout=2.0, echo=echo)
    assert status != 0
    assert log.timed_out
    assert echo.getvalue() == "PASS: tests/a.py::t\n"
    assert log.problems() == [
        "the whole run took longer than its time limit; QEMU was killed",
        f"the guest never printed its end marker ({END_MARKER})"]
