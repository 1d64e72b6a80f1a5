"""/proc parsing: a process tree built in a temp dir, then this very process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.procfs import Footprint, cpu_seconds, family, footprint, parse_kib, parse_stat

STATUS = "Name:\tpython3\nThreads:\t{threads}\nVmRSS:\t   {rss} kB\n"
ROLLUP = "00400000-7ffd [rollup]\nRss:            {rss} kB\nPss:            {pss} kB\n"


def stat_line(pid: int, parent: int, utime: int, stime: int, comm: str = "python3") -> str:
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    return f"{pid} ({comm}) S {parent} 1 1 0 -1 4194304 100 0 0 0 {utime} {stime} 0 0 20 0 3\n"


def fake_process(proc: Path, pid: int, parent: int, *, rss: int, pss: int | None,
                 threads: int, fds: int, ticks: tuple[int, int] = (0, 0)) -> None:
    folder = proc / str(pid)
    (folder / "fd").mkdir(parents=True)
    (folder / "stat").write_text(stat_line(pid, parent, *ticks))
    (folder / "status").write_text(STATUS.format(threads=threads, rss=rss))
    if pss is not None:
        (folder / "smaps_rollup").write_text(ROLLUP.format(rss=rss, pss=pss))
    for fd in range(fds):
        (folder / "fd" / str(fd)).touch()


def test_stat_fields_are_counted_after_the_last_parenthesis() -> None:
    assert parse_stat(stat_line(7, 3, 120, 30, comm="a b) (c")) == (3, 150)


def test_kib_values_by_key() -> None:
    text = ROLLUP.format(rss=2048, pss=1024)
    assert (parse_kib(text, "Rss"), parse_kib(text, "Pss"), parse_kib(text, "Swap")) == \
        (2048, 1024, 0)
    assert parse_kib(STATUS.format(threads=11, rss=5), "Threads") == 11


def test_sums_over_the_tree_below_a_process_only(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, 1, rss=30000, pss=20000, threads=11, fds=9, ticks=(500, 100))
    fake_process(tmp_path, 11, 10, rss=20000, pss=15000, threads=3, fds=5, ticks=(50, 10))
    fake_process(tmp_path, 12, 11, rss=1000, pss=None, threads=1, fds=1)  # no smaps_rollup
    fake_process(tmp_path, 20, 1, rss=99999, pss=99999, threads=99, fds=99)  # a stranger
    (tmp_path / "self").mkdir()  # not a pid: ignored
    assert family(10, tmp_path) == [10, 11, 12]
    assert footprint(10, tmp_path) == Footprint(processes=3, pss_kib=35000, rss_kib=51000,
                                                threads=15, fds=15)
    assert cpu_seconds(10, tmp_path) == 660 / os.sysconf("SC_CLK_TCK")


def test_a_process_that_is_gone_counts_as_absent(tmp_path: Path) -> None:
    fake_process(tmp_path, 10, 1, rss=100, pss=50, threads=1, fds=1)
    (tmp_path / "11").mkdir()  # listed, but its files vanished
    assert footprint(10, tmp_path).processes == 1
    assert footprint(11, tmp_path) == Footprint(0, 0, 0, 0, 0)


def test_this_process_and_its_child_on_the_real_proc() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        assert child.pid in family(os.getpid())
        mine = footprint(os.getpid())
        assert mine.processes >= 2 and mine.threads >= 2 and mine.fds >= 3
        assert mine.rss_kib > mine.pss_kib > 0
        assert cpu_seconds(os.getpid()) > 0
    finally:
        child.communicate(b"")
