"""EVerest EvManager command scripts ("sleep 1;iec_wait_pwr_ready;draw_power_regulated 16,3;…").

A script is a list of commands separated by ``;`` or newlines, arguments separated by spaces or
commas, case-insensitive (EvManager lower-cases the whole script first). EvManager has no
comments: ``#`` is not special there, so a ``#`` line is an unknown command here too. The
runner works like EvManager's: on each step it runs commands until one blocks (``sleep``, the
``*_wait_*`` commands), then applies the car's charging mode to the board (regulated: C while
the PWM offers power, else B). When the script ends the car returns to its defaults: unplugged,
its battery back at the starting SoC. ``plugin`` runs the configured plugin commands in place of
the rest of the script, as EvManager's does (without them it plugs the car in).
Times are simulated (``sleep`` waits on the board's clock). The ISO 15118 commands (EvManager
registers them only with a SLAC/ISO stack, plus ``iso_draw_power_regulated``) are refused with
"needs ISO 15118": pycharge's simulated car is an IEC 61851 (PWM) car and there is no HLC stack.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pycharge.simulation.battery import Battery, check_soc
from pycharge.simulation.board import Board

# name -> number of arguments
COMMANDS: dict[str, int] = {
    "sleep": 1, "iec_wait_pwr_ready": 0, "iso_wait_pwm_is_running": 0,
    "draw_power_regulated": 2, "draw_power_fixed": 2, "pause": 0, "plugin": 0, "unplug": 0,
    "error_e": 0, "diode_fail": 0, "rcd_current": 1, "wait_for_real_plugin": 0, "set_soc": 1,
}

# EvManager's commands that need an ISO 15118 stack: name -> the argument counts it accepts
ISO_COMMANDS: dict[str, tuple[int, ...]] = {
    "iso_wait_slac_matched": (0,), "iso_wait_pwr_ready": (0,), "iso_dc_power_on": (0,),
    "iso_start_v2g_session": (1, 2, 3, 4), "iso_stop_charging": (0,), "iso_wait_for_stop": (1,),
    "iso_wait_v2g_session_stopped": (0,), "iso_pause_charging": (0,),
    "iso_wait_for_resume": (0,), "iso_start_bcb_toggle": (1,), "iso_draw_power_regulated": (2,),
}


class ScriptError(ValueError):
    """A script that cannot run: unknown command, wrong arguments."""


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[float, ...]


def parse(script: str) -> list[Command]:
    """Parse a whole script up front, so a typo never leaves a car half-way through a session."""
    commands = []
    for part in script.lower().replace("\n", ";").split(";"):
        words = part.replace(",", " ").split()
        if not words:
            continue
        name, raw_args = words[0], words[1:]
        if name in ISO_COMMANDS:
            raise ScriptError(f"{name} needs ISO 15118: the simulated car has no HLC stack")
        if name not in COMMANDS:
            raise ScriptError(f"Command not found: {name} (supported: {', '.join(COMMANDS)})")
        if len(raw_args) != COMMANDS[name]:
            raise ScriptError(f"Invalid number of arguments for: {name} expected "
                              f"{COMMANDS[name]} got {len(raw_args)}")
        try:
            args = tuple(float(a) for a in raw_args)
        except ValueError:
            raise ScriptError(f"{name}: arguments must be numbers, got {' '.join(raw_args)}") \
                from None
        if name.startswith("draw_power"):
            # EvManager: three phases when the argument is exactly "3", else one phase
            args = (args[0], 3.0 if raw_args[1] == "3" else 1.0)
        if name == "set_soc":
            try:
                check_soc(args[0])
            except ValueError as exc:
                raise ScriptError(f"set_soc: {exc}") from None
        commands.append(Command(name, args))
    return commands


class ScriptRunner:
    """Runs one car's scripts against the board; call :meth:`step` periodically."""

    UNPLUGGED, PLUGGED_IN, REGULATED, FIXED, ERROR_E = (
        "unplugged", "plugged_in", "charging_regulated", "charging_fixed", "error_e")

    def __init__(self, board: Board, max_current_a: float = 16.0, three_phases: bool = True,
                 battery: Battery | None = None, plugin_commands: str = "") -> None:
        self.board = board
        self.max_current_a = max_current_a
        self.three_phases = three_phases
        self.battery = battery or Battery()
        self.plugin_commands = parse(plugin_commands)
        self.queue: deque[Command] = deque()
        self.mode = self.UNPLUGGED
        self._sleep_until: float | None = None
        self._metered_wh = board.delivered_wh()
        self._handlers: dict[str, Callable[[tuple[float, ...], float], bool]] = {
            "sleep": self._sleep, "iec_wait_pwr_ready": self._wait_pwm(7.0),
            "iso_wait_pwm_is_running": self._wait_pwm(4.0),
            "draw_power_regulated": self._draw(self.REGULATED),
            "draw_power_fixed": self._draw(self.FIXED),
            "pause": self._set_mode(self.PLUGGED_IN), "plugin": self._plugin,
            "unplug": self._set_mode(self.UNPLUGGED), "error_e": self._set_mode(self.ERROR_E),
            "diode_fail": self._diode_fail, "rcd_current": self._rcd_current,
            "wait_for_real_plugin": self._wait_for_real_plugin, "set_soc": self._set_soc,
        }

    @property
    def running(self) -> bool:
        return bool(self.queue)

    @property
    def soc_percent(self) -> float:
        return self.battery.soc_percent

    def ev_info(self) -> dict[str, float] | None:
        """EvManager's ``ev_info`` while the car is plugged in (None while it is not)."""
        if self.mode == self.UNPLUGGED:
            return None
        info = {"soc": round(self.soc_percent, 2), "battery_capacity": self.battery.capacity_wh,
                "battery_full_soc": 100.0}
        if self.mode in (self.REGULATED, self.FIXED):
            info.update(target_current=self.board.car.requested_a, target_voltage=0.0)
        return info

    def reset(self) -> None:
        """The car's defaults: unplugged, healthy, no residual current, script stopped."""
        self.queue.clear()
        self._sleep_until = None
        self.mode = self.UNPLUGGED
        self.battery.reset()
        self.board.set_fault("diode_short", False)
        self.board.set_residual_current(0.0)
        self.board.set_car_request(self.max_current_a, 3 if self.three_phases else 1)
        self._apply_mode()

    def execute(self, script: str) -> None:
        """Start a new session script from the car's defaults."""
        commands = parse(script)
        self.reset()
        self.queue.extend(commands)

    def modify(self, script: str) -> None:
        """Replace the rest of the running script, keeping the car's present state."""
        commands = parse(script)
        self.queue = deque(commands)
        self._sleep_until = None

    def step(self) -> None:
        """Run commands until one blocks, then let the car act on its mode."""
        now = self.board.advance()
        metered = self.board.delivered_wh()
        self.battery.add(metered - self._metered_wh)
        self._metered_wh = metered
        was_running = self.running
        while self.queue:
            command = self.queue[0]
            if not self._handlers[command.name](command.args, now):
                break
            self.queue.popleft()
        self._apply_mode()
        if was_running and not self.queue:
            self.reset()

    # -- commands (True = done) -------------------------------------------------------------------
    def _sleep(self, args: tuple[float, ...], now: float) -> bool:
        if self._sleep_until is None:
            self._sleep_until = now + args[0]
        if now < self._sleep_until:
            return False
        self._sleep_until = None
        return True

    def _wait_pwm(self, lower: float) -> Callable[[tuple[float, ...], float], bool]:
        def wait(_args: tuple[float, ...], _now: float) -> bool:
            self.mode = self.PLUGGED_IN
            self._apply_mode()
            duty = self.board.cp_duty_percent()
            return duty is not None and lower < duty < 97.0
        return wait

    def _draw(self, mode: str) -> Callable[[tuple[float, ...], float], bool]:
        def draw(args: tuple[float, ...], _now: float) -> bool:
            self.board.set_car_request(args[0], int(args[1]))
            self.mode = mode
            return True
        return draw

    def _set_mode(self, mode: str) -> Callable[[tuple[float, ...], float], bool]:
        def set_mode(_args: tuple[float, ...], _now: float) -> bool:
            self.mode = mode
            return True
        return set_mode

    def _diode_fail(self, _args: tuple[float, ...], _now: float) -> bool:
        self.board.set_fault("diode_short", True)
        return True

    def _rcd_current(self, args: tuple[float, ...], _now: float) -> bool:
        self.board.set_residual_current(args[0])
        return True

    def _wait_for_real_plugin(self, _args: tuple[float, ...], _now: float) -> bool:
        """EvManager waits for the board's CP event A, then plugs in. On the simulated board the
        CP reads A whenever this car is unplugged, so the car plugs in as soon as it is."""
        if self.board.car.state != "A":
            return False
        self.mode = self.PLUGGED_IN
        return True

    def _set_soc(self, args: tuple[float, ...], _now: float) -> bool:
        self.battery.set_soc(args[0])
        return True

    def _plugin(self, _args: tuple[float, ...], _now: float) -> bool:
        """EvManager: the rest of the script becomes the plugin commands (from the next step)."""
        if not self.plugin_commands:
            self.mode = self.PLUGGED_IN
            return True
        self.queue = deque(self.plugin_commands)
        self._sleep_until = None
        return False

    def _apply_mode(self) -> None:
        if self.mode == self.UNPLUGGED:
            state = "A"
        elif self.mode == self.ERROR_E:
            state = "E"
        elif self.mode == self.FIXED:
            state = "C"
        elif self.mode == self.REGULATED:
            duty = self.board.cp_duty_percent()
            state = "C" if duty is not None and 7.0 < duty < 97.0 else "B"
        else:
            state = "B"
        self.board.set_car_state(state)
