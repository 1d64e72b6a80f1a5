"""What every command does first: find modules and interfaces, read and validate the config."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from pycharge.runtime import config as config_loader
from pycharge.runtime.config import Config
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog

log = logging.getLogger("pycharge.config")


def add_module_dirs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--modules-dir", type=Path, action="append", default=[], metavar="DIR",
                        help="also look for module folders in DIR, and for definitions in its "
                             "interfaces/, types/ and errors/ folders")


def load(path: Path, module_dirs: list[Path]) -> tuple[ModuleCatalog, Definitions, Config]:
    """Validate ``path``; raise ConfigError listing every problem; log ignored keys."""
    catalog = ModuleCatalog(module_dirs)
    definitions = Definitions.load(module_dirs)
    config = config_loader.load(path, catalog, definitions)
    for warning in config.warnings:
        log.warning("%s", warning)
    return catalog, definitions, config
