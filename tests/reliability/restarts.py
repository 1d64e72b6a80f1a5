"""Stacks (``pycharge run --sim`` as child processes) started one after the other on the same
files, for the kill -9 tests: the newest can be killed, all are gone at the end."""

from __future__ import annotations

from pathlib import Path

from bench.soak_stack import SoakStack

from tests.conftest import Mosquitto

START_TIMEOUT_S = 30.0


class Stacks:
    """Stacks started one after the other on the same files; all are gone at the end."""

    def __init__(self, config: Path, broker: Mosquitto, workdir: Path) -> None:
        self.config, self.broker, self.workdir = config, broker, workdir
        self.started: list[SoakStack] = []

    def start(self) -> SoakStack:
        stack = SoakStack(self.config, self.broker.address, self.workdir)
        self.started.append(stack)
        stack.start(START_TIMEOUT_S)
        stack.wait_event("Enabled", 0, START_TIMEOUT_S)
        return stack

    def kill(self) -> None:
        """kill -9 of the newest stack (the whole process tree)."""
        self.started[-1].kill()

    def close(self) -> None:
        for stack in self.started:
            stack.kill()
            stack.watch.close()
            stack.connection.stop()
