"""One measurement's numbers, whichever load generator produced them."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """Throughput, latency and errors of one timed run.

    ``completed`` counts successful units (requests for pages, flows for the
    cart flow); ``rate`` is completed units per second of wall-clock time.
    """

    completed: int
    errors: int
    seconds: float
    rate: float
    p50_ms: float
    p95_ms: float

    def as_dict(self) -> dict[str, float]:
        return {
            "completed": self.completed, "errors": self.errors, "seconds": round(self.seconds, 2),
            "rate": round(self.rate, 1), "p50_ms": round(self.p50_ms, 1), "p95_ms": round(self.p95_ms, 1),
        }


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(latencies_s: list[float], errors: int, seconds: float) -> LoadResult:
    """A result from the latencies, in seconds, of the units that succeeded."""
    ordered = sorted(latencies_s)
    return LoadResult(
        completed=len(ordered), errors=errors, seconds=seconds,
        rate=len(ordered) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(ordered, 0.50) * 1000, p95_ms=percentile(ordered, 0.95) * 1000,
    )
