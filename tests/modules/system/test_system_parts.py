"""The pieces of CbSystem on their own: program runner, rauc status, URLs, marker, times."""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pycharge.modules.CbSystem.downloader import DownloadError, Limits, download
from pycharge.modules.CbSystem.logs import archive_name
from pycharge.modules.CbSystem.marker import Marker, MarkerStore
from pycharge.modules.CbSystem.programs import Programs
from pycharge.modules.CbSystem.rauc import parse_status
from pycharge.modules.CbSystem.settime import TIME_T_32_END, latest_plausible
from pycharge.modules.CbSystem.urls import LocationError, check_location
from tests.modules.system.fileserver import FileServer, Route

# As RAUC prints it on a Charge Control C, with the colours it adds on a terminal.
RAUC_STATUS = """\
=== System Info ===
Compatible:  I2SE Tarragon
Variant:
Booted from: rootfs.1 (B)

=== Bootloader ===
Activated: rootfs.1 (B)

=== Slot States ===
\x1b[1mx\x1b[0m [rootfs.1] (/dev/mmcblk0p1, ext4, \x1b[32mbooted\x1b[0m)
      bootname: B
      mounted: /
      boot status: \x1b[32mgood\x1b[0m
    [customerfs.1] (/dev/mmcblk0p6, ext4, active)

o [rootfs.0] (/dev/mmcblk0p2, ext4, inactive)
      bootname: A
      boot status: good
    [customerfs.0] (/dev/mmcblk0p7, ext4, inactive)
"""


def test_programs_get_their_arguments_without_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    result = Programs().run(["/bin/echo", f"$(touch {marker})", ";", "`reboot`", "|"], 5)
    assert result.ok
    assert result.stdout == f"$(touch {marker}) ; `reboot` |\n"
    assert not marker.exists()


def test_a_program_is_killed_at_its_timeout_and_a_missing_one_is_reported(
        tmp_path: Path) -> None:
    slow = Programs().run([sys.executable, "-c", "import time; time.sleep(30)"], 0.3)
    assert slow.returncode is None and "killed" in slow.stderr
    missing = Programs().run([str(tmp_path / "nothing")], 1)
    assert missing.returncode is None and not missing.ok


@pytest.mark.parametrize("argv", [["echo", "hello"], ["bin/echo"], [], ["/bin/echo", "a\x00b"]])
def test_only_absolute_program_paths_and_clean_arguments_are_run(argv: list[str]) -> None:
    with pytest.raises(ValueError):
        Programs().run(argv, 1)


def test_rauc_status_gives_the_booted_and_the_target_slot() -> None:
    status = parse_status(RAUC_STATUS)
    assert (status.booted, status.inactive, status.activated) == ("rootfs.1", "rootfs.0",
                                                                  "rootfs.1")
    assert not status.activated_for_next_boot("rootfs.0")
    installed = parse_status(RAUC_STATUS.replace("Activated: rootfs.1 (B)",
                                                 "Activated: rootfs.0 (A)"))
    assert installed.activated_for_next_boot("rootfs.0")
    bad = parse_status(RAUC_STATUS.replace("Activated: rootfs.1 (B)", "Activated: rootfs.0 (A)")
                       .replace("boot status: good\n    [customerfs.0]",
                                "boot status: bad\n    [customerfs.0]"))
    assert not bad.activated_for_next_boot("rootfs.0")


def test_rauc_status_without_a_single_inactive_slot_names_no_target() -> None:
    both_inactive = RAUC_STATUS.replace("ext4, \x1b[32mbooted\x1b[0m", "ext4, inactive")
    assert parse_status(both_inactive).inactive is None
    assert parse_status("rauc: cannot connect to service\n").booted is None


@pytest.mark.parametrize("url", [
    "https://updates.example.com/fw/EVerest-Firmware_Tarragon_1.2.image",
    "http://10.0.0.1:8080/get?id=7&sig=a%2Fb",
    "HTTPS://[::1]:443/x.image",
])
def test_plain_http_locations_are_taken(url: str) -> None:
    assert check_location(url) == url


@pytest.mark.parametrize("url", [
    "https://host/a\\b", "https://host/<x>", 'https://host/"x"', "https://host/x{y}",
    "https://host/\u00e4", "https://host/a/./b", "gopher://host/", "https://host:0x50/",
    "https://" + "a" * 3000, None, 42,
])
def test_anything_else_is_refused(url: object) -> None:
    with pytest.raises(LocationError):
        check_location(url)


def test_a_redirect_to_another_scheme_or_a_refused_url_is_not_followed(tmp_path: Path) -> None:
    server = FileServer()
    try:
        server.routes["/to-file"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
        server.routes["/to-dots"] = Route(status=302, headers={
            "Location": server.url("/a/../../etc/passwd")})
        limits = Limits(1024, 1, 5)
        for path in ("/to-file", "/to-dots"):
            with pytest.raises(DownloadError):
                download(server.url(path), tmp_path, "image", limits, threading.Event())
        assert list(tmp_path.iterdir()) == []
        assert [r.path for r in server.received] == ["/to-file", "/to-dots"]
    finally:
        server.close()


def test_the_marker_survives_as_written_and_a_damaged_one_is_dropped(tmp_path: Path) -> None:
    store = MarkerStore(tmp_path)
    assert store.read() is None
    store.write(Marker("rootfs.0", 12, "boot-1"))
    assert store.read() == Marker("rootfs.0", 12, "boot-1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["firmware-update.marker"]
    store.path.write_text(json.dumps({"slot": "rootfs.0"}))
    assert store.read() is None
    assert not store.path.exists()


def test_log_archive_names_keep_to_letters_digits_dash_and_underscore() -> None:
    moment = datetime(2026, 3, 1, 12, 0, 5, tzinfo=timezone.utc)
    assert archive_name("SecurityLog", moment) == "SecurityLog_2026-03-01T12-00-05Z.tar.gz"
    for bad in ("../x", "a/b", "", "x" * 65, None, "a b"):
        assert archive_name(bad, moment) == "diagnostics_2026-03-01T12-00-05Z.tar.gz"


def test_times_past_2038_are_implausible_where_time_t_has_32_bits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    monkeypatch.setattr("pycharge.modules.CbSystem.settime.time.gmtime", lambda seconds: None)
    assert latest_plausible(now) > TIME_T_32_END  # a 64-bit time_t, whatever this machine has

    def gmtime_of_32_bits(seconds: float) -> None:
        raise OverflowError("timestamp out of range for platform time_t")

    monkeypatch.setattr("pycharge.modules.CbSystem.settime.time.gmtime", gmtime_of_32_bits)
    assert latest_plausible(now) == TIME_T_32_END
