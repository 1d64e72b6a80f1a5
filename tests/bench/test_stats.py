"""Nearest-rank percentiles: the value reported is one that was measured."""

from __future__ import annotations

import pytest
from bench.stats import Summary, median, percentile


def test_nearest_rank_on_the_textbook_example() -> None:
    values = [35, 20, 15, 50, 40]
    assert [percentile(values, q) for q in (0, 5, 30, 40, 50, 100)] == [15, 15, 20, 20, 35, 50]


def test_p99_of_200_events_is_the_198th_smallest() -> None:
    values = [float(v) for v in range(200, 0, -1)]
    assert percentile(values, 99) == 198.0
    assert median(values) == 100.0
    assert Summary.of(values) == Summary(count=200, p50=100.0, p99=198.0, max=200.0)


def test_one_value_is_every_percentile() -> None:
    assert Summary.of([4.5]).as_dict() == {"count": 1, "p50": 4.5, "p99": 4.5, "max": 4.5}


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_refuses_what_has_no_percentile(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)
