"""OCPP 1.6 security profiles (security whitepaper edition 2), as libocpp reads its keys.

- 0: ws://, no authentication; 1: ws:// with HTTP Basic authentication;
- 2: wss:// with Basic authentication, the CSMS's certificate checked against the CSMS root CA
  bundle (EvseSecurity's ``get_verify_file``);
- 3: wss:// with the charge point's own certificate (``get_leaf_certificate_info``), the CSMS's
  certificate checked as in 2.

Basic authentication's user is ``ChargePointId``, its password ``AuthorizationKey``. As in
libocpp, a ``CentralSystemURI`` without a scheme gets the one its profile needs, and the
charge point id is appended unless the URI already ends with it.
"""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycharge.modules.OCPP.transactions import now

TLS_PROFILES = (2, 3)
BASIC_AUTH_PROFILES = (1, 2)
TECH_INFO_MAX = 255  # SecurityEventNotification.req's techInfo
# TLS alerts the CSMS sends when it does not accept the charge point's certificate
REFUSED_CLIENT = ("CERTIFICATE_REQUIRED", "BAD_CERTIFICATE", "UNKNOWN_CA",
                  "CERTIFICATE_UNKNOWN", "HANDSHAKE_FAILURE")


@dataclass(frozen=True)
class Endpoint:
    """What one connection attempt needs: the URL, the HTTP headers, the TLS context."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None


def profile_problems(keys: dict[str, Any], path: Path) -> list[str]:
    """The keys that do not fit the security profile (``keys`` flat, as the file merged)."""
    profile = keys.get("SecurityProfile", 0)
    if not isinstance(profile, int) or not 0 <= profile <= 3:
        return []  # reported by the key's own check
    found = []
    uri = keys.get("CentralSystemURI")
    if isinstance(uri, str) and "://" in uri:
        wanted = "wss://" if profile in TLS_PROFILES else "ws://"
        if not uri.startswith(wanted):
            found.append(f"{path}: Internal.CentralSystemURI {uri!r} does not fit "
                         f"Security.SecurityProfile {profile}: it needs {wanted} (profiles 0 "
                         "and 1 ws://, 2 and 3 wss://; or give no scheme)")
    if profile in BASIC_AUTH_PROFILES and not keys.get("AuthorizationKey"):
        found.append(f"{path}: Security.AuthorizationKey is required by "
                     f"Security.SecurityProfile {profile} (the Basic authentication password; "
                     "profiles 0 and 3 do without)")
    return found


def url_of(uri: str, cp_id: str, profile: int) -> str:
    """The websocket URL: the scheme the profile needs if none is given, then the id."""
    if "://" not in uri:
        uri = ("wss://" if profile in TLS_PROFILES else "ws://") + uri
    base = uri.rstrip("/")
    if base.rsplit("/", 1)[-1] == cp_id and base.count("/") > 2:
        base = base.rsplit("/", 1)[0]  # libocpp: an id already at the end is not doubled
    return f"{base}/{cp_id}"


def basic_auth(cp_id: str, key: str) -> dict[str, str]:
    token = base64.b64encode(f"{cp_id}:{key}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def tls_context(verify_file: str, leaf: dict[str, Any] | None) -> ssl.SSLContext:
    """A client context that trusts only the CSMS root CA bundle and, for profile 3, shows
    the charge point's certificate. Raises OSError or ssl.SSLError if a file is unusable."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=verify_file)
    if leaf is not None:
        password = leaf.get("password", "")
        context.load_cert_chain(leaf.get("certificate") or leaf["certificate_single"],
                                leaf["key"], password=lambda: password)
    return context


def event(kind: str, tech_info: str | None = None) -> dict[str, Any]:
    """A SecurityEventNotification.req payload, stamped now."""
    return {"type": kind, "timestamp": now(),  # the library wants tech_info, None or not
            "tech_info": tech_info[:TECH_INFO_MAX] if tech_info else None}


def failure_event(exc: BaseException) -> dict[str, Any] | None:
    """The security event a failed connection attempt is, if it is one: the CSMS's
    certificate did not verify, or the CSMS refused the charge point's credentials."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return event("InvalidCentralSystemCertificate",
                         getattr(seen, "verify_message", None) or str(seen))
        if isinstance(seen, ssl.SSLError) and any(
                alert in (seen.reason or "") for alert in REFUSED_CLIENT):
            return event("FailedToAuthenticateAtCentralSystem", f"TLS: {seen.reason}")
        status = getattr(getattr(seen, "response", None), "status_code", None) or getattr(
            seen, "status_code", None)  # websockets 14+ InvalidStatus, 10 InvalidStatusCode
        if status in (401, 403):
            return event("FailedToAuthenticateAtCentralSystem", f"HTTP {status}")
        seen = seen.__cause__ or seen.__context__
    return None
