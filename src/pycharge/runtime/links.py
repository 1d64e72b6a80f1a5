"""What the wiring of a configuration tells each module about the others.

``required_by``: who uses each of a module's implementations (the board driver watches the
heartbeats of the modules that use its board support). ``heartbeat``: whether anybody watches
this module's heartbeat at all; a provider says so with ``x-watches-heartbeats: true`` on its
implementation in the manifest. A module nobody watches publishes none: on one slow core every
idle wakeup counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pycharge.runtime.config import ModuleConfig


def link(modules: Mapping[str, ModuleConfig]) -> None:
    for module in modules.values():
        watched = False
        for requirement, fulfillments in module.connections.items():
            for f in fulfillments:
                provider = modules[f.module_id]
                provider.required_by.setdefault(f.implementation_id, []).append(
                    (module.id, requirement))
                provision = provider.manifest.provides.get(f.implementation_id)
                watched = watched or (provision is not None and provision.watches_heartbeats)
        module.heartbeat = watched
