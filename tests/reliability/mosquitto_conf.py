"""Reading a mosquitto 2.0 configuration (with its include_dir) and judging its exposure.

The rule for a charger: every listener is on a loopback address or a unix socket, except one
that requires TLS and a password from every client; and the main file sets
``per_listener_settings true`` before any listener, so that such an external listener can be
added as a drop-in without locking the charging stack (anonymous, on loopback) out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Options that belong to the listener above them only with per_listener_settings true.
SECURITY_OPTIONS = ("allow_anonymous", "password_file", "acl_file", "psk_file", "plugin",
                    "auth_plugin")
LOOPBACK_NAMES = ("localhost", "ip6-localhost")


@dataclass
class Listener:
    port: int
    address: str | None  # None: every interface; a path for a unix socket (port 0)
    options: dict[str, str] = field(default_factory=dict)

    @property
    def local_only(self) -> bool:
        if self.port == 0 and self.address:
            return True  # a unix socket
        if self.address is None:
            return False
        if self.address in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.address).is_loopback
        except ValueError:
            return False  # a host name: resolves to who knows what


@dataclass
class MosquittoConf:
    directives: list[tuple[str, str, str]]  # (file, option, value) in reading order
    listeners: list[Listener]
    global_options: dict[str, str]
    per_listener: bool


def read(path: Path, include_dir: Path | None = None) -> MosquittoConf:
    """``path`` and its ``include_dir`` (or ``include_dir`` given here instead) in order."""
    directives = list(_directives(path, include_dir))
    listeners: list[Listener] = []
    global_options: dict[str, str] = {}
    per_listener = False
    for _file, option, value in directives:
        if option == "per_listener_settings":
            per_listener = value.lower() == "true"
        elif option == "listener":
            port, _, address = value.partition(" ")
            listeners.append(Listener(int(port), address.strip() or None))
        elif option in ("port", "bind_address"):
            global_options[option] = value  # mosquitto 1.x style default listener
        elif listeners and (option not in SECURITY_OPTIONS or per_listener):
            listeners[-1].options[option] = value
        else:
            global_options[option] = value
    return MosquittoConf(directives, listeners, global_options, per_listener)


def _directives(path: Path, include_dir: Path | None) -> Iterator[tuple[str, str, str]]:
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        option, _, value = line.partition(" ")
        if option == "include_dir":
            folder = include_dir or Path(value.strip())
            for drop_in in sorted(folder.glob("*.conf")):
                yield from _directives(drop_in, None)
        else:
            yield str(path), option, value.strip()


def exposure(conf: MosquittoConf) -> list[str]:
    """Every way a client on the network could reach the bus without TLS and a password."""
    problems = [f"'{option}' opens mosquitto 1.x's default listener on every interface"
                for option in ("port", "bind_address") if option in conf.global_options]
    for listener in conf.listeners:
        if listener.local_only:
            continue
        where = f"listener {listener.port} on {listener.address or 'every interface'}"
        options = listener.options if conf.per_listener else {**conf.global_options,
                                                               **listener.options}
        if not (options.get("certfile") and options.get("keyfile")):
            problems.append(f"{where} is reachable from the network without TLS")
        if options.get("allow_anonymous", "false").lower() != "false":
            problems.append(f"{where} lets anonymous clients in")
        if not options.get("password_file"):
            problems.append(f"{where} has no password_file")
    return problems


def ready_for_an_external_listener(conf: MosquittoConf) -> list[str]:
    """Whether a drop-in can add a secured external listener without locking the stack out."""
    first_security = next((i for i, (_f, option, _v) in enumerate(conf.directives)
                           if option in (*SECURITY_OPTIONS, "listener")), None)
    setting = next((i for i, (_f, option, value) in enumerate(conf.directives)
                    if option == "per_listener_settings" and value.lower() == "true"), None)
    if setting is None or (first_security is not None and setting > first_security):
        return ["'per_listener_settings true' must come first: otherwise a drop-in's "
                "'allow_anonymous false' for an external listener also applies to the loopback "
                "listener, and the charging stack (anonymous) can no longer connect"]
    return []
