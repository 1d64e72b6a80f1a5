"""The one family of errors caused by the user or their input.

The CLI catches :class:`UserError` once and exits with status 2 and a plain message; anything else
is a bug and gets a traceback. Nothing below the CLI calls ``sys.exit``.
"""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """Something the user can fix: a config file, a command-line argument, a missing broker."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration, located as precisely as we can."""

    file: str
    module_id: str | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.module_id is not None:
            where.append(f"module '{self.module_id}'")
        if self.key is not None and self.key != "":
            where.append(str(self.key))  # YAML keys may be numbers, booleans or null
        return f"{': '.join(where)}: {self.message}"


class ConfigError(UserError):
    """A configuration that cannot run; carries every problem found, not only the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the configuration:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))
