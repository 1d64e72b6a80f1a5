"""A user of the example interface, for runtime tests: records what it sees."""

import time

from pycharge.runtime.module import Module


class ExampleUser(Module):
    def init(self) -> None:
        self.initialised_at = time.monotonic()
        self.seen_counter: list[int] = []
        self.raised: list = []
        self.cleared: list = []
        self.ready_results: list = []
        provider = self.connection("provider")
        provider.subscribe("counter", self.seen_counter.append)
        provider.subscribe_errors(self.raised.append, self.cleared.append)

    def ready(self) -> None:
        self.ready_at = time.monotonic()
        self.ready_results.append(self.connection("provider").call("add", a=2, b=3))
