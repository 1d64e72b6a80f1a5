"""Who publishes heartbeats: only the modules somebody watches (runtime/links.py)."""

from __future__ import annotations

from pycharge.runtime import config as config_loader
from pycharge.runtime.definitions import Definitions
from pycharge.runtime.manifest import ModuleCatalog
from tests.sil.stack import bsp_only_path


def test_only_the_users_of_the_board_driver_publish_heartbeats() -> None:
    config = config_loader.load(bsp_only_path(), ModuleCatalog([]), Definitions.load([]))
    publishing = sorted(m.id for m in config.modules.values() if m.heartbeat)
    assert publishing == ["connector"], "EvseManager uses the driver's evse_board_support"
    assert config.modules["tarragon_bsp"].required_by["evse_board_support"] == [
        ("connector", "bsp")]
