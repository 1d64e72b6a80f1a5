"""A provider of the example interface, for runtime tests."""

import time

from pycharge.runtime.module import Implementation, Module


class Main(Implementation):
    def add(self, a: float, b: float) -> float:
        self.module.add_calls += 1
        return (a + b) * self.config["scale"]

    def fail(self) -> None:
        raise RuntimeError("asked to fail")

    def block(self, seconds: float) -> None:
        time.sleep(seconds)

    def die(self) -> None:
        def crash() -> None:
            raise RuntimeError("thread crashed on request")

        self.module.spawn("crash", crash)

    def set_error(self, active: bool, sub_type: str) -> None:
        if active:
            self.raise_error("example/Broken", "broken on request", sub_type)
        else:
            self.clear_error("example/Broken", sub_type)


class ExampleProvider(Module):
    implementations = {"main": Main}

    def init(self) -> None:
        self.initialised_at = time.monotonic()
        self.counter = self.config["start"]
        self.add_calls = 0
        self.safe_state_called = False
        self.shutdown_called = False

    def ready(self) -> None:
        self.ready_at = time.monotonic()
        self.every(0.05, self._count)

    def _count(self) -> None:
        self.counter += 1
        self.impl["main"].publish("counter", self.counter)

    def safe_state(self) -> None:
        self.safe_state_called = True

    def shutdown(self) -> None:
        self.shutdown_called = True
        self.log.info("shut down")
