"""A minimal Prometheus text-format registry (counters, gauges, histograms) with no extra dependency.

Thread-safe; label values are escaped; `render()` gives the exposition format (version 0.0.4) served at
`GET /metrics`.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import defaultdict

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.033, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds; 0.033 is one frame at 30 fps."""

Labels = tuple[tuple[str, str], ...]


def _fmt_labels(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = labels + extra
    if not items:
        return ""
    esc = (v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"') for _, v in items)
    return "{" + ",".join(f'{k}="{v}"' for (k, _), v in zip(items, esc)) + "}"


def _num(v: float) -> str:
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


class Metrics:
    """Named metric families; each `inc`/`set`/`observe` call names its family, help text and labels."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kind: dict[str, str] = {}
        self._help: dict[str, str] = {}
        self._values: dict[str, dict[Labels, float]] = defaultdict(dict)
        self._hist: dict[str, dict[Labels, list[float]]] = defaultdict(dict)  # bucket counts + [sum, count]

    def _declare(self, name: str, kind: str, help_: str) -> None:
        if self._kind.setdefault(name, kind) != kind:
            raise ValueError(f"metric {name} is a {self._kind[name]}, not a {kind}")
        self._help.setdefault(name, help_)

    def inc(self, name: str, help_: str, value: float = 1.0, **labels: str) -> None:
        """Add `value` to a counter."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._declare(name, "counter", help_)
            self._values[name][key] = self._values[name].get(key, 0.0) + value

    def set(self, name: str, help_: str, value: float, **labels: str) -> None:
        """Set a gauge."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._declare(name, "gauge", help_)
            self._values[name][key] = float(value)

    def add(self, name: str, help_: str, value: float, **labels: str) -> None:
        """Add to a gauge (negative to decrease)."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._declare(name, "gauge", help_)
            self._values[name][key] = self._values[name].get(key, 0.0) + value

    def observe(self, name: str, help_: str, value: float, **labels: str) -> None:
        """Record one observation (seconds) in a histogram with `LATENCY_BUCKETS`."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._declare(name, "histogram", help_)
            h = self._hist[name].setdefault(key, [0.0] * (len(LATENCY_BUCKETS) + 2))
            idx = bisect.bisect_left(LATENCY_BUCKETS, value)
            if idx < len(LATENCY_BUCKETS):
                h[idx] += 1
            h[-2] += value
            h[-1] += 1

    def value(self, name: str, **labels: str) -> float:
        """Current value of a counter/gauge series (0 when absent); histogram series give their count."""
        key = tuple(sorted(labels.items()))
        with self._lock:
            if name in self._hist:
                return self._hist[name].get(key, [0.0])[-1]
            return self._values.get(name, {}).get(key, 0.0)

    def render(self) -> str:
        """The Prometheus text exposition of every family."""
        lines: list[str] = []
        with self._lock:
            for name in sorted(self._kind):
                kind = self._kind[name]
                lines.append(f"# HELP {name} {self._help[name]}")
                lines.append(f"# TYPE {name} {kind}")
                if kind == "histogram":
                    for key, h in sorted(self._hist[name].items()):
                        cum = 0.0
                        for le, c in zip(LATENCY_BUCKETS, h):
                            cum += c
                            lines.append(f"{name}_bucket{_fmt_labels(key, (('le', _num(le)),))} {_num(cum)}")
                        lines.append(f"{name}_bucket{_fmt_labels(key, (('le', '+Inf'),))} {_num(h[-1])}")
                        lines.append(f"{name}_sum{_fmt_labels(key)} {_num(h[-2])}")
                        lines.append(f"{name}_count{_fmt_labels(key)} {_num(h[-1])}")
                else:
                    for key, v in sorted(self._values[name].items()):
                        lines.append(f"{name}{_fmt_labels(key)} {_num(v)}")
        return "\n".join(lines) + "\n"
