"""Running the system's programs: never through a shell, always from a fixed path, with a timeout.

Every external program CbSystem uses (rauc, reboot, timedatectl, openssl, journalctl) goes
through :class:`Programs`. Arguments are a list handed to ``execve``; nothing in them is ever
interpreted by a shell, whatever characters a request carried. The program's path comes from
the module's configuration and must be absolute. Output and exit code are returned for the
caller to check; a program that outlives its timeout is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The environment programs see: fixed, so nothing from the stack's environment steers them.
PROGRAM_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "LANG": "C"}
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class ProgramResult:
    """What a program did: exit code (None if it was killed or never started) and output."""

    returncode: int | None
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def describe(self) -> str:
        """One line for the log: exit code and the start of what the program said."""
        said = (self.stderr.strip() or self.stdout.strip()).splitlines()
        code = "no exit code" if self.returncode is None else f"exit code {self.returncode}"
        return f"{code}: {said[0][:200]}" if said else code


class Programs:
    """The real system: programs run as child processes, the soft reset is a real signal."""

    def run(self, argv: Sequence[str], timeout: float, stdout_path: Path | None = None
            ) -> ProgramResult:
        """Run ``argv`` (``argv[0]`` an absolute path) and wait at most ``timeout`` seconds.

        With ``stdout_path`` the program's output goes to that file instead of memory.
        """
        argv = [str(arg) for arg in argv]
        if not argv or not os.path.isabs(argv[0]):
            raise ValueError(f"a program must be given by its absolute path, not {argv[:1]}")
        if any("\x00" in arg for arg in argv):
            raise ValueError("program arguments must not contain NUL characters")
        try:
            if stdout_path is None:
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                      timeout=timeout, env=PROGRAM_ENV, check=False)
                return ProgramResult(done.returncode, _text(done.stdout), _text(done.stderr))
            with stdout_path.open("wb") as out:
                done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.PIPE, timeout=timeout, env=PROGRAM_ENV,
                                      check=False)
            return ProgramResult(done.returncode, "", _text(done.stderr))
        except subprocess.TimeoutExpired:
            return ProgramResult(None, "", f"{argv[0]} killed after {timeout:g} s")
        except OSError as exc:
            return ProgramResult(None, "", f"{argv[0]} cannot run: {exc.strerror or exc}")

    def available(self, path: str) -> bool:
        """Whether the program at ``path`` exists and may be run."""
        return os.path.isfile(path) and os.access(path, os.X_OK)

    def boot_id(self) -> str:
        """The kernel's id of this boot: it changes with every reboot, not with a restart."""
        try:
            return BOOT_ID.read_text(encoding="ascii").strip()
        except OSError:
            return ""

    def terminate_stack(self) -> None:
        """Soft reset: SIGTERM to the stack's main process; systemd (Restart=always) restarts it.

        With ``--process-per-module`` this module runs in a child of the manager; signalling
        the child alone would only restart this module, so the manager is signalled instead.
        """
        os.kill(stack_pid(), signal.SIGTERM)


def stack_pid() -> int:
    """The pid of the stack's manager process (our parent when we are a module process)."""
    import __main__

    spec = getattr(__main__, "__spec__", None)
    if spec is not None and spec.name == "pycharge.runtime.child":
        return os.getppid()
    return os.getpid()


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")
