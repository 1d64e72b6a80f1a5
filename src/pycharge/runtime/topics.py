"""The topic layout of the internal bus (documented in docs/bus.md).

``P`` is ``mqtt_everest_prefix`` with its trailing slash (``everest/`` by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What a broker refuses in a topic name, with a disconnect: U+0000, control characters,
# surrogates and noncharacters (MQTT 3.1.1 section 1.5.3; mosquitto enforces all of them), and
# wildcards. Published topics are checked: a refused one would be re-sent after every reconnect
# and cut the stack off its bus for good.
_UNSAFE = ("\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
           + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17)))
_REFUSED = re.compile(f"[+#{_UNSAFE}]")
_REFUSED_IN_LEVEL = re.compile(f"[/+#{_UNSAFE}]")
MAX_TOPIC_BYTES = 65535
MAX_LEVEL_CHARS = 256


def publishable(topic: str) -> bool:
    """Whether a broker accepts ``topic`` as the name of a published message."""
    return (len(topic) > 0 and len(topic.encode("utf-8", "surrogatepass")) <= MAX_TOPIC_BYTES
            and _REFUSED.search(topic) is None)


def topic_level(text: str) -> bool:
    """Whether ``text`` can stand as one level of a published topic (e.g. a caller's id)."""
    return 0 < len(text) <= MAX_LEVEL_CHARS and _REFUSED_IN_LEVEL.search(text) is None


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
