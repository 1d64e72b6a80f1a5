"""Test stand-in for EvseManager (see manifest.yaml): answers no command, publishes nothing."""

from collections.abc import Callable

from pycharge.runtime.definitions import Definitions
from pycharge.runtime.module import Implementation, Module


def _not_here(name: str) -> Callable[..., None]:
    def command(self: Implementation, **_args: object) -> None:
        raise NotImplementedError(f"the test stand-in does not do {name}")

    return command


class Evse(Implementation):
    pass


for _name in Definitions.load().interfaces["evse_manager"].cmds:
    setattr(Evse, _name, _not_here(_name))


class SystemTestEvse(Module):
    implementations = {"evse": Evse}
