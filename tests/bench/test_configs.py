"""The config copy: its files move to the benchmark's directory, nothing else changes."""

from __future__ import annotations

from pathlib import Path

import yaml
from bench.configs import SHIPPED, prepare


def test_the_error_history_moves_and_the_rest_stays(tmp_path: Path) -> None:
    original = yaml.safe_load(SHIPPED.read_text())
    copy = yaml.safe_load(prepare(SHIPPED, tmp_path).read_text())
    history = copy["active_modules"]["error_history"]["config_implementation"]["error_history"]
    assert history["database_path"] == str(tmp_path / "error_history.db")
    history["database_path"] = "/tmp/error_history.db"
    assert copy == original


def test_the_rcm_variant_only_adds_rcm_enable(tmp_path: Path) -> None:
    copy = yaml.safe_load(prepare(SHIPPED, tmp_path, rcm=True).read_text())
    assert copy["active_modules"]["tarragon_bsp"]["config_module"] == {
        "contactor_1_feedback_type": "none", "relay_2_name": "none", "rcm_enable": True}
