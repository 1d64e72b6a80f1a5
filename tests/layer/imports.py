"""Which modules a tree of Python files imports, found with ``ast`` (lazy imports included).

Imports under ``if TYPE_CHECKING:`` never run and are left out; imports inside ``try`` blocks
that catch ImportError are optional (the code copes without them) and marked so.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception"}


@dataclass(frozen=True)
class Import:
    """One imported module: the dotted name, where, and whether the code copes without it."""

    module: str
    path: Path
    line: int
    optional: bool

    @property
    def top(self) -> str:
        return self.module.split(".")[0]


def _catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        if handler.type is None or any(isinstance(t, ast.Name) and t.id in _IMPORT_ERRORS
                                       for t in types):
            return True
    return False


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.optional = 0
        self.found: list[Import] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        optional = _catches_import_error(node)
        self.optional += optional
        for child in node.body:
            self.visit(child)
        self.optional -= optional
        for child in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append(Import(alias.name, self.path, node.lineno, self.optional > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module and node.module != "__future__":
            self.found.append(Import(node.module, self.path, node.lineno, self.optional > 0))


def imports_in(files: list[Path]) -> list[Import]:
    found: list[Import] = []
    for path in files:
        collector = _Collector(path)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += collector.found
    return found
