"""EnergyManager: decides, every ``update_interval``, what each EVSE of the tree may draw.

It keeps the latest energy flow request of the tree (the EnergyNode at the trunk republishes it
whenever a node below changes, and EVSEs publish theirs every second), shares the import budget
among the EVSEs (see ``allocation``) and sends each EVSE its limits through the trunk with
``valid_for`` = 10 x ``update_interval``. An EVSE must fall back to 0 A once that time has passed
on its monotonic clock without a new update, so limits never outlive the EnergyManager.

With ``switch_3ph1ph_while_charging_mode`` other than Never it also decides, per EVSE, whether
it charges on one phase or three (see ``phases``) and tells it with ``ac_max_phase_count``.

A request older than ``valid_for`` (on our monotonic ``self.clock``) is not trusted: every EVSE
in it gets 0 A until a fresh one arrives.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

from pycharge.modules.EnergyManager.allocation import Settings, allocate, enforced_limits, nothing
from pycharge.modules.EnergyManager.phases import PhaseDecider, PhaseSettings
from pycharge.modules.EnergyManager.tree import read_tree
from pycharge.runtime.clock import rfc3339, utc_now
from pycharge.runtime.module import Module

DEFAULT_VOLTAGE, DEFAULT_SLICE, MIN_SLICE = 230.0, 0.5, 0.01


class EnergyManager(Module):
    def init(self) -> None:
        interval = self.config["update_interval"]
        if interval < 1:
            self.log.error("update_interval %s is not a positive number of seconds; using 1", interval)
            interval = 1
        voltage = self.config["nominal_ac_voltage"]
        if voltage <= 0:
            self.log.error("nominal_ac_voltage %s V is impossible; using %s V", voltage, DEFAULT_VOLTAGE)
            voltage = DEFAULT_VOLTAGE
        slice_ampere = self.config["slice_ampere"]
        if slice_ampere < MIN_SLICE:
            self.log.error("slice_ampere %s A is too small; using %s A", slice_ampere, DEFAULT_SLICE)
            slice_ampere = DEFAULT_SLICE
        self.interval = interval
        self.settings = Settings(voltage, slice_ampere, 10 * interval, self.id)
        self.phases = PhaseDecider(PhaseSettings(
            self.config["switch_3ph1ph_while_charging_mode"],
            self.config["switch_3ph1ph_max_nr_of_switches_per_session"],
            self.config["switch_3ph1ph_switch_limit_stickyness"],
            self.config["switch_3ph1ph_power_hysteresis_W"],
            self.config["switch_3ph1ph_time_hysteresis_s"]), voltage, self.id)
        self._request: dict[str, Any] | None = None
        self._received_at = 0.0
        self._stale = False
        self._undelivered: set[str] = set()
        self._trunk = self.connections("energy_trunk")[0]
        self._trunk.subscribe("energy_flow_request", self._on_request)

    def ready(self) -> None:
        self.every(self.interval, self.update)

    def _on_request(self, request: dict[str, Any]) -> None:
        self._request = request
        self._received_at = self.clock.monotonic()
        if _priority_requested(request):
            self.update()

    def update(self) -> None:
        """Share the budget and send every EVSE its limits."""
        if self._request is None:
            return
        age = self.clock.monotonic() - self._received_at
        tree = read_tree(self._request, utc_now(), f"{self.id}/no_import_request")
        if age > self.settings.valid_for:
            if not self._stale:
                self.log.warning("no energy flow request for %.0f s; every EVSE gets 0 A until one "
                                 "arrives", age)
            self._stale = True
            grants = nothing(tree, f"{self.id}/request_expired")
        else:
            if self._stale:
                self.log.info("energy flow requests arrive again")
            self._stale = False
            grants = allocate(tree, self.settings, self.phases.decide(tree, self.clock.monotonic()))
        timestamp = rfc3339()
        for grant in grants:
            level = logging.INFO if self.config["debug"] else logging.DEBUG
            self.log.log(level, "%s: %.2f A (%s)%s", grant.uuid, grant.amps, grant.source,
                         f", {grant.phases.value:.0f} phase(s)" if grant.phases else "")
            self._trunk.call_async("enforce_limits", value=enforced_limits(
                grant, self.settings, timestamp)).add_done_callback(
                lambda future, uuid=grant.uuid: self._delivered(uuid, future))

    def _delivered(self, uuid: str, future: Future) -> None:
        error = future.exception()
        if error is not None and uuid not in self._undelivered:
            self.log.warning("limits for %s not delivered: %s", uuid, error)
            self._undelivered.add(uuid)
        elif error is None and uuid in self._undelivered:
            self.log.info("limits for %s delivered again", uuid)
            self._undelivered.discard(uuid)


def _priority_requested(request: dict[str, Any]) -> bool:
    return bool(request.get("priority_request")) or any(
        _priority_requested(child) for child in request["children"])
