"""The charge point's configuration: libocpp's 1.6 JSON file, checked, with the CSMS's overlay.

The file (``ChargePointConfigPath``) is checked once at start; every problem is reported in one
go, each naming the file, the key and what is allowed. What the CSMS changes is kept in
``UserConfigPath``, a file of the same layout holding only the changed keys, replaced
atomically (temp + fsync + rename) so that a power cut leaves the old or the new one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pycharge.modules.OCPP.configuration_keys import (
    FEATURE_PROFILES,
    KEYS,
    PROFILES,
    REQUIRED_PROFILES,
    Key,
    parse,
    to_text,
    unknown_measurands,
)
from pycharge.modules.OCPP.metering import MEASURANDS
from pycharge.modules.OCPP.security import profile_problems
from pycharge.runtime.durable_files import write_atomically
from pycharge.runtime.usererror import UserError

TYPE_NAMES = {bool: "a boolean", int: "an integer", str: "a string"}


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the OCPP configuration: {exc}") from exc
    if not isinstance(raw, dict):
        raise UserError(f"{path}: an OCPP configuration is a JSON object of profiles")
    return raw


def _range_problem(key: Key, value: Any) -> str | None:
    if key.minimum is not None and value < key.minimum:
        return f"must be at least {key.minimum}, not {value}"
    if key.maximum is not None and value > key.maximum:
        return f"must be at most {key.maximum}, not {value}"
    if key.min_length is not None and len(value) < key.min_length:
        return f"must have at least {key.min_length} characters, not {len(value)}"
    return None


def _value_problem(name: str, key: Key, value: Any) -> str | None:
    if not isinstance(value, key.type) or (key.type is int and isinstance(value, bool)):
        return f"must be {TYPE_NAMES[key.type]}, not {json.dumps(value)}"
    if (problem := _range_problem(key, value)) is not None:
        return problem
    if name == "CentralSystemURI" and "://" in value and not value.startswith(
            ("ws://", "wss://")):
        return (f"must start with ws:// or wss://, not {value!r} (or have no scheme: then "
                "Security.SecurityProfile picks it)")
    if key.measurands and (unknown := unknown_measurands(value)):
        return f"has unknown measurands {unknown}; allowed: {', '.join(MEASURANDS)}"
    if name == "SupportedFeatureProfiles":
        unknown = sorted({p.strip() for p in value.split(",")} - FEATURE_PROFILES)
        if unknown:
            return f"has unknown profiles {unknown}; allowed: {', '.join(sorted(FEATURE_PROFILES))}"
    return None


def _named_profiles(raw: dict[str, Any]) -> set[str]:
    named = raw.get("Core", {}).get("SupportedFeatureProfiles") if isinstance(
        raw.get("Core"), dict) else None
    return {p.strip() for p in named.split(",")} if isinstance(named, str) else set()


def problems(raw: dict[str, Any], path: Path, base: bool = True) -> list[str]:
    """Every problem of ``raw`` (a base file, or an overlay with ``base`` False)."""
    found = []
    if base:
        found += [f"{path}: profile {p} is required" for p in REQUIRED_PROFILES if p not in raw]
        found += [f"{path}: profile {p} is required: Core.SupportedFeatureProfiles names it"
                  for p in _named_profiles(raw) if p not in raw and p in PROFILES and any(
                      k.required and k.profile == p for k in KEYS.values())]
    for profile, keys in raw.items():
        if profile not in PROFILES:
            found.append(f"{path}: unknown profile {profile!r}; allowed: {', '.join(PROFILES)}")
            continue
        if not isinstance(keys, dict):
            found.append(f"{path}: {profile} must be an object of keys")
            continue
        for name, value in keys.items():
            key = KEYS.get(name)
            if key is None:
                continue  # libocpp knows more keys than pycharge uses; they are kept as they are
            if key.profile != profile:
                found.append(f"{path}: {profile}.{name}: belongs in profile {key.profile}")
            elif (problem := _value_problem(name, key, value)) is not None:
                found.append(f"{path}: {profile}.{name} {problem}")
        if base:
            found += [f"{path}: {profile}.{name} is required" for name, key in KEYS.items()
                      if key.required and key.profile == profile and name not in keys]
    return found


class ChargePointConfig:
    """The keys of the base file with the overlay's on top; changes go to the overlay."""

    def __init__(self, path: Path, user_path: Path) -> None:
        self.path, self.user_path = path, user_path
        base = _read(path)
        found = problems(base, path)
        self.overlay: dict[str, dict[str, Any]] = {}
        if user_path.exists():
            overlay = _read(user_path)
            found += problems(overlay, user_path, base=False)
            self.overlay = overlay
        self.values: dict[str, Any] = {}
        self.profiles: dict[str, str] = {}
        for layer in (base, self.overlay):
            for profile, keys in layer.items():
                for name, value in keys.items() if isinstance(keys, dict) else ():
                    self.values[name] = value
                    self.profiles[name] = profile
        if not found:  # the keys together, once each is right (the CSMS may have set some)
            found = profile_problems(self.values, path)
        if found:
            raise UserError("OCPP configuration:\n  " + "\n  ".join(found))

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def listed(self, names: list[str] | None) -> tuple[list[dict[str, Any]], list[str]]:
        """GetConfiguration: (configurationKey entries, unknownKey) for ``names`` (None: all)."""
        wanted = names if names else list(self.values)
        known = [{"key": n, "readonly": KEYS[n].readonly if n in KEYS else True}
                 | ({} if n in KEYS and KEYS[n].writeonly else {"value": to_text(self.values[n])})
                 for n in wanted if n in self.values]
        return known, [n for n in wanted if n not in self.values]

    def change(self, name: str, text: str) -> str:
        """ChangeConfiguration: Accepted, Rejected or NotSupported; accepted values are kept."""
        key = KEYS.get(name)
        if name not in self.values or key is None:
            return "NotSupported"
        if key.readonly:
            return "Rejected"
        try:
            value = parse(key, text)
        except ValueError:
            return "Rejected"
        self.values[name] = value
        self.overlay.setdefault(key.profile, {})[name] = value
        self.user_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.user_path,
                         json.dumps(self.overlay, indent=2, sort_keys=True).encode())
        return "Accepted"
