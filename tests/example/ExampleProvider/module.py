"""A provider of the example interface, for runtime tests."""

import time

from pycharge.runtime.module import Implementation, Module


class Main(Implementation):
    def add(self, a: float, b: float) -> float:
        return (a + b) * self.config["scale"]

    def fail(self) -> None:
        raise RuntimeError("asked to fail")

    def block(self, seconds: float) -> None:
        time.sleep(seconds)

    def set_error(self, active: bool, sub_type: str) -> None:
        if active:
            self.raise_error("example/Broken", "broken on request", sub_type)
        else:
            self.clear_error("example/Broken", sub_type)


class ExampleProvider(Module):
    implementations = {"main": Main}

    def init(self) -> None:
        self.counter = self.config["start"]

    def ready(self) -> None:
        self.every(0.05, self._count)

    def _count(self) -> None:
        self.counter += 1
        self.impl["main"].publish("counter", self.counter)
