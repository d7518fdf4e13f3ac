"""Documented bounds on every size that reaches an allocation, and the checks that enforce them.

Each value is validated where it enters (CLI option, run config, `model.json`, upload) with one line naming the
value and the bound, before any work is done. The service's per-request caps live in
`gestura.serving.schemas.ServiceLimits` (their defaults are listed in docs/limits.md); the bounds here are the
ones every entry point shares. docs/limits.md lists them all.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, cast

from gestura.errors import ConfigError, GesturaError

MAX_FPS = 1000.0
"""Frame rate of a clip, stream, recording or resampling target (frames per second)."""
MIN_FPS = 0.5
MAX_SYNTH_FRAMES = 1_000_000
"""Frames `gestura data synth` may generate in total (people x classes x clips x frames per clip)."""
MAX_WINDOW = 4096
"""Frames per model input window (`window`, `stride` in model.json, run configs and splits)."""
MAX_BATCH = 65_536
"""Training batch size (`optim.batch_size`)."""
MAX_ARCH_INT = 65_536
"""Any integer architecture parameter in model.json (hidden sizes, layers, heads, classes, input width)."""
MAX_VIDEO_FRAMES = 1800
"""Frames decoded from one uploaded video (60 s at 30 fps), whatever the container claims."""
MAX_SEQUENCE_SECONDS = 4 * 3600.0
"""Time span of one landmark sequence (t[-1] - t[0]); resampling allocates span x rate frames."""
MAX_FRAME_GAP_SECONDS = 60.0
"""Largest time between two consecutive frames of a sequence (a sparse 3-frame "day" is refused)."""
MAX_RECORD_SECONDS = 600.0
"""One recorded take (`gestura record --seconds`)."""
MAX_PORT = 65_535
MAX_WORKERS = 256
"""Worker processes or tasks in flight (`extract --workers`, `landmarks dataset --workers`)."""
MAX_IMAGE_PIXELS = 50_000_000
"""Pixels (W x H) of one image read from disk (`extract`, `landmarks dataset`, image folders), read from the header
before decoding."""
MAX_CROP = 1024
"""Side in pixels of a stored hand crop (`landmarks dataset --crop-size`)."""
MAX_IG_STEPS = 1024
"""Integrated-gradients steps (`explain --steps`): one batch of this many windows."""


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False,
                 error: type[GesturaError] = ConfigError) -> float:
    """`value` as a finite number within `[low, high]` (`low_open`/`high_open` exclude an end), else one `error`
    line naming `name`, the value and the bound.

    Booleans and strings are refused (JSON `true` or `"0.5"` is not a number); `integer` also refuses 2.5.
    """
    if isinstance(value, bool) or type(value).__name__ == "bool_" or not isinstance(value, numbers.Real):
        raise error(f"{name}: expected a number, got {type(value).__name__} {value!r}"[:200])
    # numbers.Real (int, float, numpy scalars) has no typed comparisons in typeshed; all of them compare as floats.
    value = cast(float, value)
    if not math.isfinite(value):
        raise error(f"{name}: must be finite, got {value}")
    if integer and not float(value).is_integer():
        raise error(f"{name}: expected a whole number, got {value}")
    lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
    hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
    bound = " and ".join(b for b in (lo, hi) if b)
    if low is not None and (value < low or (low_open and value == low)):
        raise error(f"{name}: {value:g} is out of bounds (must be {bound})")
    if high is not None and (value > high or (high_open and value == high)):
        raise error(f"{name}: {value:g} is out of bounds (must be {bound})")
    return value


def check_fps(value: Any, name: str = "fps", error: type[GesturaError] = ConfigError) -> float:
    """A frame rate in [MIN_FPS, MAX_FPS]."""
    return float(check_number(value, name, low=MIN_FPS, high=MAX_FPS, error=error))


def check_fraction(value: Any, name: str, *, allow_zero: bool = False,
                   error: type[GesturaError] = ConfigError) -> float:
    """A share strictly between 0 and 1 (`allow_zero`: 0 allowed too)."""
    return float(check_number(value, name, low=0.0, high=1.0, low_open=not allow_zero, high_open=True,
                              error=error))


def check_window(value: Any, name: str = "window", error: type[GesturaError] = ConfigError) -> int:
    """A window or stride length in frames: a whole number in [1, MAX_WINDOW]."""
    return int(check_number(value, name, low=1, high=MAX_WINDOW, integer=True, error=error))
