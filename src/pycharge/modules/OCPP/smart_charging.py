"""SmartCharging (OCPP 1.6 §3.13, §5.5, §5.7, §5.16): the CSMS's charging profiles, kept in SQLite
under DatabasePath, and their composite schedule as external limits of the energy tree.

SetChargingProfile replaces a profile with the same id, or with the same stack level and
purpose on the same connector; a ChargePointMaxProfile belongs to connector 0, a TxProfile to a
connector with a running transaction (and its transactionId, if given), and ends with it.
After every change and at every transaction start and end, each connector's composite schedule
for PublishChargingScheduleDurationS goes to its ``evse_energy_sink`` as ``schedule_import``
(ac_max_current_A in A, total_power_W in W), so the EnergyManager keeps the car within it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pycharge.modules.OCPP.composite import Profile, Step, composite, seconds
from pycharge.modules.OCPP.configuration_keys import supports
from pycharge.runtime.clock import rfc3339
from pycharge.runtime.durable_sqlite import open_or_in_memory
from pycharge.runtime.module import Connection

PROFILE = "SmartCharging"
UNIT_NAMES = {"A": "Current", "W": "Power"}  # ChargingScheduleAllowedChargingRateUnit's words
SCHEMA = """CREATE TABLE IF NOT EXISTS charging_profiles (
    id INTEGER PRIMARY KEY, connector INTEGER NOT NULL, stack_level INTEGER NOT NULL,
    purpose TEXT NOT NULL, profile TEXT NOT NULL);"""
TIMEOUT_S = 5.0


def _stamp(moment: float) -> str:
    return rfc3339(datetime.fromtimestamp(moment, timezone.utc))


class SmartCharging:
    def __init__(self, database: Path, setting: Callable[[str], Any], connectors: int,
                 sinks: list[Connection], log: logging.Logger) -> None:
        self.setting, self.connectors, self.sinks, self.log = setting, connectors, sinks, log
        self.db = open_or_in_memory(database / "charging_profiles.db", TIMEOUT_S, SCHEMA,
                                    "the charging profiles", log)
        self.transactions: dict[int, tuple[float, int | None]] = {}  # connector: start, id
        self.expected: dict[int, Profile] = {}  # RemoteStart's TxProfile by connector (0: any)
        if sinks and len(sinks) != connectors:
            log.warning("%d evse_energy_sink connection(s) for %d connector(s): the composite "
                        "schedules are not set as limits (one sink per connector needed)",
                        len(sinks), connectors)

    def close(self) -> None:
        self.db.close()

    def _profiles(self) -> list[tuple[int, Profile]]:
        rows = self.db.execute("SELECT connector, profile FROM charging_profiles").fetchall()
        return [(connector, json.loads(text)) for connector, text in rows]

    # -- the CSMS's requests ---------------------------------------------------------------------
    def set_profile(self, connector: int, profile: Profile) -> str:
        purpose = profile["charging_profile_purpose"]
        problem = self._refusal(connector, profile)
        if problem is not None:
            self.log.info("SetChargingProfile %s refused: %s", profile["charging_profile_id"],
                          problem)
            return "Rejected"
        self.db.execute("BEGIN IMMEDIATE")  # the old profile goes only with the new one in
        try:
            self.db.execute("DELETE FROM charging_profiles WHERE id = ? OR (connector = ? AND "
                            "stack_level = ? AND purpose = ?)",
                            (profile["charging_profile_id"], connector, profile["stack_level"],
                             purpose))
            self.db.execute("INSERT INTO charging_profiles VALUES (?, ?, ?, ?, ?)",
                            (profile["charging_profile_id"], connector, profile["stack_level"],
                             purpose, json.dumps(profile, default=float)))  # Decimal limits
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        self.apply()
        return "Accepted"

    def _refusal(self, connector: int, profile: Profile) -> str | None:
        return next(self._problems(connector, profile), None)

    def _problems(self, connector: int, profile: Profile) -> Iterator[str]:
        """Why the profile cannot be installed, the most basic reason first."""
        purpose = profile["charging_profile_purpose"]
        if not supports(self.setting("SupportedFeatureProfiles"), PROFILE):
            yield "the SmartCharging profile is not supported"
        if not 0 <= connector <= self.connectors:
            yield f"no connector {connector}"
        if profile["stack_level"] > (self.setting("ChargeProfileMaxStackLevel") or 0):
            yield "stack level above ChargeProfileMaxStackLevel"
        unit = profile["charging_schedule"]["charging_rate_unit"]
        allowed = self.setting("ChargingScheduleAllowedChargingRateUnit") or ""
        if UNIT_NAMES[unit] not in {u.strip() for u in allowed.split(",")}:
            yield f"unit {unit} not in ChargingScheduleAllowedChargingRateUnit {allowed}"
        if len(profile["charging_schedule"]["charging_schedule_period"]) > (
                self.setting("ChargingScheduleMaxPeriods") or 0):
            yield "more periods than ChargingScheduleMaxPeriods"
        if purpose == "ChargePointMaxProfile" and connector != 0:
            yield "a ChargePointMaxProfile is for connector 0"
        if purpose == "TxProfile":
            running = self.transactions.get(connector)
            if running is None:
                yield "a TxProfile needs a transaction on its connector"
            elif profile.get("transaction_id") not in (None, running[1]):
                yield f"transaction {profile['transaction_id']} is not running there"
        installed = self.db.execute("SELECT COUNT(*) FROM charging_profiles WHERE id != ?",
                                    (profile["charging_profile_id"],)).fetchone()[0]
        if installed >= (self.setting("MaxChargingProfilesInstalled") or 0):
            yield "MaxChargingProfilesInstalled reached"

    def clear(self, profile_id: int | None, connector: int | None, purpose: str | None,
              stack_level: int | None) -> str:
        if profile_id is not None:
            where, args = "id = ?", [profile_id]
        else:
            clauses = [(c, v) for c, v in (("connector = ?", connector), ("purpose = ?", purpose),
                                            ("stack_level = ?", stack_level)) if v is not None]
            where = " AND ".join(c for c, _ in clauses) or "1"
            args = [v for _, v in clauses]
        removed = self.db.execute(f"DELETE FROM charging_profiles WHERE {where}", args).rowcount
        if removed:
            self.apply()
        return "Accepted" if removed else "Unknown"

    def composite_schedule(self, connector: int, duration: int, unit: str | None
                           ) -> dict[str, Any]:
        if not 0 <= connector <= self.connectors or not supports(
                self.setting("SupportedFeatureProfiles"), PROFILE):
            return {"status": "Rejected"}
        start = float(int(time.time()))
        steps = self._steps(connector, start, duration, unit or "A")
        periods = [{"start_period": int(s.start - start), "limit": round(s.limit, 1),
                    **({"number_phases": s.phases} if s.phases else {})}
                   for s in steps if s.limit is not None]
        if not periods:
            return {"status": "Rejected"}
        return {"status": "Accepted", "connector_id": connector, "schedule_start": _stamp(start),
                "charging_schedule": {"duration": duration, "charging_rate_unit": unit or "A",
                                      "start_schedule": _stamp(start),
                                      "charging_schedule_period": periods}}

    def _steps(self, connector: int, start: float, duration: float, unit: str) -> list[Step]:
        tx = self.transactions.get(connector)
        return composite(self._profiles(), connector, start, duration, unit,
                         tx[0] if tx is not None else None)

    # -- transactions and limits ------------------------------------------------------------------
    def expect(self, connector: int | None, profile: Profile) -> bool:
        """RemoteStartTransaction's chargingProfile: a TxProfile, for the transaction it
        starts (installed when that transaction starts)."""
        if profile["charging_profile_purpose"] != "TxProfile" or not supports(
                self.setting("SupportedFeatureProfiles"), PROFILE):
            return False
        self.expected[connector or 0] = profile
        return True

    def transaction_started(self, connector: int, started_at: str) -> None:
        self.transactions[connector] = (seconds(started_at) or time.time(), None)
        profile = self.expected.pop(connector, None) or self.expected.pop(0, None)
        if profile is not None and self.set_profile(connector, profile) == "Accepted":
            return  # set_profile applied the limits
        self.apply()

    def transaction_id(self, connector: int, transaction_id: int) -> None:
        if connector in self.transactions:
            self.transactions[connector] = (self.transactions[connector][0], transaction_id)

    def transaction_finished(self, connector: int) -> None:
        self.transactions.pop(connector, None)
        self.db.execute("DELETE FROM charging_profiles WHERE connector = ? AND purpose = ?",
                        (connector, "TxProfile"))
        self.apply()

    def apply(self) -> None:
        """Each connector's composite schedule as the limits of its energy sink."""
        if not self.sinks or len(self.sinks) != self.connectors:
            return
        start = time.time()
        duration = self.setting("PublishChargingScheduleDurationS") or 600
        for connector, sink in enumerate(self.sinks, start=1):
            steps = self._steps(connector, start, duration, "A")
            sink.call_async("set_external_limits", value={
                "schedule_import": [self._entry(s) for s in steps],
                "schedule_export": [], "schedule_setpoints": []})

    def _entry(self, step: Step) -> dict[str, Any]:
        limits: dict[str, Any] = {}
        if step.limit is not None:
            limits["ac_max_current_A"] = {"value": step.limit, "source": "OCPP"}
        if step.phases:
            limits["ac_max_phase_count"] = {"value": step.phases, "source": "OCPP"}
        return {"timestamp": _stamp(step.start), "limits_to_root": limits,
                "limits_to_leaves": {}}
