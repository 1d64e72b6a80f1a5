"""Validate a configuration against the module manifests without starting anything.

Prints every problem (file, module id, key, what is allowed) and exits 2, or exits 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pycharge.cli import loading
from pycharge.runtime.serving import check_implementations_of_class

NAME = "check"
HELP = "validate a configuration file (exit 0 if it can run, 2 with every problem if not)"


def setup_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="EVerest-format YAML configuration")
    loading.add_module_dirs(parser)


def run(args: argparse.Namespace) -> int:
    catalog, definitions, config = loading.load(args.config, args.modules_dir)
    for module in config.modules.values():
        check_implementations_of_class(catalog.load_class(module.name), module, definitions)
    print(f"{args.config}: OK, {len(config.modules)} modules: "
          + ", ".join(f"{m.id} ({m.name})" for m in config.modules.values()))
    return 0
