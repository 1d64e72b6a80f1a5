"""The simulated Charge Control C with a simulated car: the same HAL, a physical model behind it.

``Simulation.for_config`` builds it for ``pycharge run --sim``; ``Board`` is the model (its
``log`` has the timed events), ``SimHal`` the HAL the unmodified drivers use.
"""

from pycharge.simulation.board import FAULTS, Board
from pycharge.simulation.hal import SimHal
from pycharge.simulation.simulation import Simulation

__all__ = ["FAULTS", "Board", "SimHal", "Simulation"]
