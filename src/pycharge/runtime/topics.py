"""The topic layout of the internal bus (documented in docs/bus.md).

``P`` is ``mqtt_everest_prefix`` with its trailing slash (``everest/`` by default).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    """Builds every internal topic from the prefix."""

    prefix: str = "everest/"

    def impl(self, module_id: str, impl_id: str) -> str:
        return f"{self.prefix}modules/{module_id}/impl/{impl_id}"

    def cmd(self, module_id: str, impl_id: str, cmd: str) -> str:
        return f"{self.impl(module_id, impl_id)}/cmd/{cmd}"

    def response(self, module_id: str, impl_id: str, cmd: str, caller: str) -> str:
        return f"{self.cmd(module_id, impl_id, cmd)}/response/{caller}"

    def responses_to(self, caller: str) -> str:
        return f"{self.prefix}modules/+/impl/+/cmd/+/response/{caller}"

    def var(self, module_id: str, impl_id: str, var: str) -> str:
        return f"{self.impl(module_id, impl_id)}/var/{var}"

    def error(self, module_id: str, impl_id: str, error_type: str) -> str:
        return f"{self.impl(module_id, impl_id)}/error/{error_type}"

    def errors_of(self, module_id: str = "+", impl_id: str = "+") -> str:
        return f"{self.impl(module_id, impl_id)}/error/#"

    def module_ready(self, module_id: str) -> str:
        return f"{self.prefix}modules/{module_id}/ready"

    def heartbeat(self, module_id: str) -> str:
        return f"{self.prefix}modules/{module_id}/heartbeat"

    @property
    def global_ready(self) -> str:
        return f"{self.prefix}ready"

    @staticmethod
    def split_impl(topic: str, prefix: str) -> tuple[str, str, str, str]:
        """``P modules/<id>/impl/<impl>/<kind>/<rest>`` -> (id, impl, kind, rest)."""
        parts = topic[len(prefix):].split("/", 5)
        return parts[1], parts[3], parts[4], parts[5] if len(parts) > 5 else ""
