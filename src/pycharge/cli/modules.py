"""List the modules pycharge can run, with what they provide, require and can be configured with."""

from __future__ import annotations

import argparse

from pycharge.cli import loading
from pycharge.runtime.manifest import ModuleCatalog

NAME = "modules"
HELP = "list the available modules, their interfaces and config keys"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="show only this module")
    loading.add_module_dirs(parser)


def run(args: argparse.Namespace) -> int:
    catalog = ModuleCatalog(args.modules_dir)
    names = [args.name] if args.name else catalog.names
    for name in names:
        if name not in catalog:
            print(f"no module '{name}'; available: {', '.join(catalog.names)}")
            return 2
        manifest = catalog.manifest(name)
        print(f"{name}: {manifest.description.strip().splitlines()[0]}")
        for impl in manifest.provides.values():
            print(f"  provides {impl.id}: {impl.interface}")
            _print_config(impl.config, indent="      ")
        for req in manifest.requires.values():
            print(f"  requires {req.id}: {req.interface} "
                  f"({req.min_connections}..{req.max_connections})")
        _print_config(manifest.config, indent="  ")
    return 0


def _print_config(entries: dict, indent: str) -> None:
    for key, spec in entries.items():
        default = f" = {spec['default']!r}" if "default" in spec else " (mandatory)"
        choices = f" one of {', '.join(map(str, spec['enum']))}" if "enum" in spec else ""
        ignored = " [accepted, ignored]" if "x-ignored" in spec else ""
        print(f"{indent}config {key}: {spec['type']}{default}{choices}{ignored}")
