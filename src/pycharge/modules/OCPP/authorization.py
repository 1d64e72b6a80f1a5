"""Who may charge: the CSMS while it is there, the local list and the cache when it is not.

OCPP 1.6 §3.5 and the keys that steer it: ``LocalPreAuthorize`` (a tag the list or cache
accepts starts at once, without Authorize.req), ``LocalAuthorizeOffline`` (offline, the list
and cache decide), ``AllowOfflineTxForUnknownId`` (offline, a tag neither knows is accepted),
``LocalAuthListEnabled`` and ``AuthorizationCacheEnabled`` (whether each is used at all).
A CSMS that does not answer counts as one that is away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pycharge.modules.OCPP.configuration_keys import supports
from pycharge.modules.OCPP.local_auth import LocalAuthorization, status_of

LOCAL_LIST_PROFILE = "LocalAuthListManagement"


class Authorizer:
    def __init__(self, store: LocalAuthorization, setting: Callable[[str], Any],
                 ask: Callable[[str], dict[str, Any] | None],
                 online: Callable[[], bool]) -> None:
        self.store, self.setting, self.ask, self.online = store, setting, ask, online

    def _supports_list(self) -> bool:
        return supports(self.setting("SupportedFeatureProfiles"), LOCAL_LIST_PROFILE)

    def _list_enabled(self) -> bool:
        return self._supports_list() and bool(self.setting("LocalAuthListEnabled"))

    def known(self, id_tag: str) -> str | None:
        """The status the list (first) or the cache gives ``id_tag``; None if neither knows it."""
        if self._list_enabled() and (info := self.store.listed(id_tag)) is not None:
            return status_of(info)
        if self.setting("AuthorizationCacheEnabled") and (
                info := self.store.cached(id_tag)) is not None:
            return status_of(info)
        return None

    def authorize(self, id_tag: str) -> str:
        """The authorization status of a presented tag (Auth's token validator)."""
        known = self.known(id_tag)
        if self.online():
            if known == "Accepted" and self.setting("LocalPreAuthorize"):
                return "Accepted"
            info = self.ask(id_tag)
            if info is not None:
                self.remember(id_tag, info)
                return info["status"]
        if not self.setting("LocalAuthorizeOffline"):
            known = None
        if known is not None:
            return known
        return "Accepted" if self.setting("AllowOfflineTxForUnknownId") else "Timeout"

    def remember(self, id_tag: str, info: dict[str, Any]) -> None:
        """An idTagInfo from the CSMS (Authorize, StartTransaction) into the cache."""
        if self.setting("AuthorizationCacheEnabled"):
            self.store.remember(id_tag, info)

    # -- the CSMS's requests --------------------------------------------------------------------
    def send_local_list(self, version: int, update_type: str,
                        entries: list[dict[str, Any]] | None) -> str:
        if not self._list_enabled():
            return "NotSupported"
        entries = entries or []
        if len(entries) > self.setting("SendLocalListMaxLength"):
            return "Failed"
        return self.store.update(version, update_type, entries,
                                 self.setting("LocalAuthListMaxLength"))

    def local_list_version(self) -> int:
        """-1 when the list is not supported or not enabled (OCPP 1.6 §5.10); 0 for none."""
        return self.store.version() if self._list_enabled() else -1

    def clear_cache(self) -> str:
        self.store.clear_cache()
        return "Accepted"
