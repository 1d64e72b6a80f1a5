"""The OCPP 1.6 configuration keys pycharge knows: profile, type, whether the CSMS may change them.

``ChargePointConfigPath`` holds them by profile (libocpp's layout); GetConfiguration and
ChangeConfiguration see them flat, as strings (OCPP 1.6 §9).
"""

from __future__ import annotations

from dataclasses import dataclass

from pycharge.modules.OCPP.metering import MEASURANDS


@dataclass(frozen=True)
class Key:
    profile: str
    type: type  # bool, int or str
    readonly: bool = False
    required: bool = False
    minimum: int | None = None
    measurands: bool = False  # a comma-separated list of the measurands in MEASURANDS
    maximum: int | None = None
    min_length: int | None = None
    writeonly: bool = False  # GetConfiguration names it without its value (a password)


KEYS: dict[str, Key] = {
    "ChargePointId": Key("Internal", str, readonly=True, required=True),
    "CentralSystemURI": Key("Internal", str, readonly=True, required=True),
    "ChargePointModel": Key("Internal", str, readonly=True, required=True),
    "ChargePointVendor": Key("Internal", str, readonly=True, required=True),
    "ChargeBoxSerialNumber": Key("Internal", str, readonly=True),
    "FirmwareVersion": Key("Internal", str, readonly=True),
    "AllowOfflineTxForUnknownId": Key("Core", bool),
    "AuthorizationCacheEnabled": Key("Core", bool),
    "AuthorizeRemoteTxRequests": Key("Core", bool, required=True),
    "ClockAlignedDataInterval": Key("Core", int, required=True, minimum=0),
    "ConnectionTimeOut": Key("Core", int, required=True, minimum=0),
    "GetConfigurationMaxKeys": Key("Core", int, readonly=True, required=True, minimum=1),
    "HeartbeatInterval": Key("Core", int, required=True, minimum=0),
    "LocalAuthorizeOffline": Key("Core", bool, required=True),
    "LocalPreAuthorize": Key("Core", bool, required=True),
    "MeterValuesAlignedData": Key("Core", str, required=True, measurands=True),
    "MeterValuesSampledData": Key("Core", str, required=True, measurands=True),
    "MeterValueSampleInterval": Key("Core", int, required=True, minimum=0),
    "NumberOfConnectors": Key("Core", int, readonly=True, required=True, minimum=1),
    "ResetRetries": Key("Core", int, required=True, minimum=0),
    "StopTransactionOnEVSideDisconnect": Key("Core", bool, required=True),
    "StopTransactionOnInvalidId": Key("Core", bool, required=True),
    "StopTxnAlignedData": Key("Core", str, required=True, measurands=True),
    "StopTxnSampledData": Key("Core", str, required=True, measurands=True),
    "SupportedFeatureProfiles": Key("Core", str, readonly=True, required=True),
    "TransactionMessageAttempts": Key("Core", int, required=True, minimum=0),
    "TransactionMessageRetryInterval": Key("Core", int, required=True, minimum=0),
    "UnlockConnectorOnEVSideDisconnect": Key("Core", bool, required=True),
    "WebSocketPingInterval": Key("Core", int, minimum=0),
    "LocalAuthListEnabled": Key("LocalAuthListManagement", bool, required=True),
    "LocalAuthListMaxLength": Key("LocalAuthListManagement", int, readonly=True, required=True,
                                  minimum=0),
    "SendLocalListMaxLength": Key("LocalAuthListManagement", int, readonly=True, required=True,
                                  minimum=0),
    "ReserveConnectorZeroSupported": Key("Reservation", bool),
    "ChargeProfileMaxStackLevel": Key("SmartCharging", int, readonly=True, required=True,
                                      minimum=0),
    "ChargingScheduleAllowedChargingRateUnit": Key("SmartCharging", str, readonly=True,
                                                   required=True),
    "ChargingScheduleMaxPeriods": Key("SmartCharging", int, readonly=True, required=True,
                                      minimum=1),
    "MaxChargingProfilesInstalled": Key("SmartCharging", int, readonly=True, required=True,
                                        minimum=1),
    # changing the profile (a reconnect with new credentials) is not implemented: read-only
    "SecurityProfile": Key("Security", int, readonly=True, minimum=0, maximum=3),
    "AuthorizationKey": Key("Security", str, min_length=8, writeonly=True),
    "DisableSecurityEventNotifications": Key("Security", bool),
}
PROFILES = ("Internal", "Core", "Security", "LocalAuthListManagement", "SmartCharging",
            "FirmwareManagement", "Reservation")
REQUIRED_PROFILES = ("Internal", "Core", "Security")
FEATURE_PROFILES = {"Core", "FirmwareManagement", "LocalAuthListManagement", "Reservation",
                    "SmartCharging", "RemoteTrigger"}


def supports(profiles: str | None, profile: str) -> bool:
    """Whether a SupportedFeatureProfiles value names ``profile``."""
    return profile in {p.strip() for p in (profiles or "").split(",")}


def to_text(value: object) -> str:
    """A value as GetConfiguration reports it: booleans in lower case."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def unknown_measurands(text: str) -> list[str]:
    """The names in a measurand list that pycharge cannot report."""
    return [m for m in (m.strip() for m in text.split(",")) if m and m not in MEASURANDS]


def parse(key: Key, text: str) -> object:
    """A ChangeConfiguration value as the key's type; ValueError if it is not one."""
    if key.type is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError("true or false")
        return text.lower() == "true"
    if key.type is int:
        number = int(text)
        if key.minimum is not None and number < key.minimum:
            raise ValueError(f"at least {key.minimum}")
        if key.maximum is not None and number > key.maximum:
            raise ValueError(f"at most {key.maximum}")
        return number
    if key.measurands and unknown_measurands(text):
        raise ValueError(f"measurands of {', '.join(MEASURANDS)}")
    if key.min_length is not None and len(text) < key.min_length:
        raise ValueError(f"at least {key.min_length} characters")
    return text
