"""ChargerInfo: the charger's vendor, model, serial numbers and firmware version
(``charger_information``), gathered from key-value stores, as EVerest's ChargerInfo does.

Each call asks anew, in EVerest's order: first the chained ``charger_information`` (if one is
connected), then every ``kvs`` in the order of the configuration (a later store wins), then the
first line of ``firmware_version_file``. A ``friendly_name`` is made up from vendor, model and
charge point serial when none is stored.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pycharge.runtime.module import CommandError, Connection, Implementation, Module

KEYS = ("vendor", "model", "chargepoint_serial", "chargebox_serial", "friendly_name",
        "manufacturer", "manufacturer_url", "model_url", "model_number", "model_revision",
        "board_revision", "firmware_version")


class Main(Implementation):
    module: ChargerInfo

    def get_charger_information(self) -> dict[str, Any]:
        return self.module.gather()


class ChargerInfo(Module):
    implementations: ClassVar = {"main": Main}

    def ready(self) -> None:
        self.log.debug("charger information: %s", self.gather())

    def gather(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        chained = self.connection("charger_information")
        if chained is not None:
            try:
                info.update(chained.call("get_charger_information"))
            except CommandError as exc:
                self.log.warning("no charger information from %s: %s", chained.module_id, exc)
        for kvs in self.connections("kvs"):
            info.update(self._from_store(kvs))
        path = self.config["firmware_version_file"]
        if path:
            info["firmware_version"] = first_line(path)
        if "friendly_name" not in info and all(k in info for k in ("vendor", "model",
                                                                   "chargepoint_serial")):
            info["friendly_name"] = (f"{info['vendor']} {info['model']} "
                                     f"[{info['chargepoint_serial']}]")
        missing = [key for key in ("vendor", "model") if key not in info]
        if missing:
            self.log.warning("no %s in the key-value stores %s: the charger information is "
                             "incomplete", " or ".join(repr(k) for k in missing),
                             ", ".join(k.module_id for k in self.connections("kvs")))
        return info

    def _from_store(self, kvs: Connection) -> dict[str, str]:
        found: dict[str, str] = {}
        try:
            for key in KEYS:
                if not kvs.call("exists", key=key):
                    continue
                value = kvs.call("load", key=key)
                if isinstance(value, str):
                    found[key] = value
                else:
                    self.log.warning("%s: %r is %r, not text; ignored (quote it in a YAML file)",
                                     kvs.module_id, key, value)
        except CommandError as exc:
            self.log.warning("key-value store %s did not answer: %s", kvs.module_id, exc)
        return found


def first_line(path: str) -> str:
    """The file's first line without its line end; empty if the file cannot be read."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.readline().rstrip("\r\n")
    except OSError:
        return ""
