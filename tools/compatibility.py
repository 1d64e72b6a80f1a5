"""Write docs/compatibility.md: EVerest's module types and example configs against pycharge.

Run by hand with snapshots of EVerest/everest-core and chargebyte/everest-chargebyte (bare git
directories, as the ``fetch`` tool leaves them); CI has no snapshots and does not run this. The
pycharge side of the table is checked in CI by ``tests/runtime/test_compatibility_doc.py``.

    python tools/compatibility.py EVEREST_GIT_DIR CHARGEBYTE_GIT_DIR > docs/compatibility.md
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import Manifest, ModuleCatalog
from pycharge.runtime.usererror import ConfigError

MISSING_MODULE = "is not available"


class Snapshot:
    """One bare git directory, read at HEAD."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", str(self.git_dir), *args], check=True,
                              capture_output=True, text=True).stdout

    def commit(self) -> str:
        return self.git("log", "-1", "--format=%h %cs").strip()

    def files(self, under: str) -> list[str]:
        return self.git("ls-tree", "-r", "--name-only", "HEAD", under).split()

    def show(self, path: str) -> str:
        return self.git("show", f"HEAD:{path}")


def everest_manifests(*snapshots: Snapshot) -> dict[str, dict[str, Any]]:
    """Module type -> EVerest manifest, for every module folder in the snapshots."""
    found: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:
        for path in snapshot.files("modules"):
            if path.endswith("/manifest.yaml"):
                found.setdefault(path.split("/")[-2], yaml.safe_load(snapshot.show(path)) or {})
    return found


def keys_row(name: str, ours: Manifest, theirs: dict[str, Any]) -> str:
    """One module's row: EVerest's keys pycharge uses, accepts and ignores, or lacks."""
    declared = dict(theirs.get("config") or {})
    for impl_id, impl in (theirs.get("provides") or {}).items():
        declared.update({f"{impl_id}.{k}": v for k, v in (impl.get("config") or {}).items()})
    own = dict(ours.config)
    for provision in ours.provides.values():
        own.update({f"{provision.id}.{k}": v for k, v in provision.config.items()})
    used = [k for k in declared if k in own and "x-ignored" not in own[k]]
    ignored = [k for k in declared if k in own and "x-ignored" in own[k]]
    lacking = [k for k in declared if k not in own]
    missing_parts = [f"provides `{i}`" for i in theirs.get("provides") or {} if i not in ours.provides]
    missing_parts += [f"requires `{r}`" for r in theirs.get("requires") or {}
                      if r not in ours.requires]
    ignored_req = [r for r, req in ours.requires.items() if req.ignored]
    cells = [f"`{name}`", f"{len(used)}/{len(declared)}", _names(ignored), _names(lacking),
             ", ".join(missing_parts + [f"`{r}` accepted, ignored" for r in ignored_req]) or "-"]
    return "| " + " | ".join(cells) + " |"


def _names(keys: list[str]) -> str:
    return ", ".join(f"`{k}`" for k in keys) or "-"


def config_results(snapshot: Snapshot, label: str, catalog: ModuleCatalog,
                   definitions: Definitions) -> Iterator[str]:
    """One row per example config: runs, or which modules it lacks, or what else is wrong."""
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(p for p in snapshot.files("config") if p.endswith(".yaml")):
            copy = Path(tmp) / path.replace("/", "_")
            copy.write_text(snapshot.show(path))
            yield f"| {label} `{path}` | {_verdict(copy, catalog, definitions)} |"


def _verdict(path: Path, catalog: ModuleCatalog, definitions: Definitions) -> str:
    try:
        config_loader.load(path, catalog, definitions)
    except ConfigError as error:
        raw = yaml.safe_load(path.read_text()) or {}
        lacking = sorted({entry.get("module") for entry in (raw.get("active_modules") or {}).values()
                          if isinstance(entry, dict) and entry.get("module") not in catalog})
        others = [p for p in error.problems if MISSING_MODULE not in p.message
                  and "which pycharge does not have" not in p.message]
        parts = [f"lacks {', '.join(lacking)}"] if lacking else []
        if others:
            parts.append(f"{len(others)} other problem(s), first: {_plain(str(others[0]))}")
        return "; ".join(parts)
    return "**runs** (`pycharge check` OK)"


def _plain(problem: str) -> str:
    return problem.split(": ", 1)[1].replace("|", "\\|") if ": " in problem else problem


def main(everest_dir: str, chargebyte_dir: str) -> None:
    everest, chargebyte = Snapshot(Path(everest_dir)), Snapshot(Path(chargebyte_dir))
    catalog, definitions = ModuleCatalog(), Definitions.load([])
    theirs = everest_manifests(everest, chargebyte)
    present = [name for name in sorted(theirs) if name in catalog]
    absent = [name for name in sorted(theirs) if name not in catalog]
    own_only = [name for name in catalog.names if name not in theirs]
    print(HEADER.format(everest=everest.commit(), chargebyte=chargebyte.commit(),
                        total=len(theirs), present=len(present)))
    print("| Module | EVerest keys used | accepted, ignored | not accepted | parts not served |")
    print("|---|---|---|---|---|")
    for name in present:
        print(keys_row(name, catalog.manifest(name), theirs[name]))
    print(f"\npycharge's own modules, not in EVerest: {', '.join(f'`{n}`' for n in own_only)}.")
    print(f"\n### EVerest module types pycharge does not have ({len(absent)})\n")
    print(", ".join(f"`{n}`" for n in absent))
    print(CONFIGS)
    rows = [*config_results(chargebyte, "everest-chargebyte", catalog, definitions),
            *config_results(everest, "everest-core", catalog, definitions)]
    runs = sum("**runs**" in row for row in rows)
    print(f"{runs} of {len(rows)} configs run.\n")
    print("| Config | Result |")
    print("|---|---|")
    print("\n".join(rows))


HEADER = """\
# Compatibility with EVerest

Generated by `tools/compatibility.py` from everest-core {everest} and everest-chargebyte
{chargebyte}; do not edit by hand. pycharge has {present} of the {total} module types those
repositories define. For each, the config keys of EVerest's manifest (implementation keys as
`impl.key`) that pycharge uses, accepts and ignores (with a warning from `pycharge check`), or
does not accept, and the provided implementations and requirements it does not serve.

## Module types and config keys
"""

CONFIGS = """
## EVerest's example configs

Each `config/**/*.yaml` of everest-chargebyte and everest-core through pycharge's validator,
as `pycharge check` runs it. A config "lacks" the module types pycharge does not have; other
problems are listed after.
"""

if __name__ == "__main__":
    main(*sys.argv[1:3])
