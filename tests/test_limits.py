"""`gestura.limits`: one-line bound checks that refuse NaN, booleans, strings and out-of-range values."""

from __future__ import annotations

import math

import pytest

from gestura.errors import ConfigError, InputError
from gestura.limits import MAX_FPS, check_fps, check_fraction, check_number, check_window


@pytest.mark.parametrize("value, match", [
    (math.nan, "must be finite"), (math.inf, "must be finite"), (1e9, "out of bounds"), (0, "out of bounds"),
    (True, "got bool"), ("30", "got str"), (None, "got NoneType"),
])
def test_fps_refused(value: object, match: str) -> None:
    with pytest.raises(ConfigError, match=f"--fps: .*{match}") as err:
        check_fps(value, "--fps")
    assert "\n" not in str(err.value)


def test_fps_accepted_and_bound_named() -> None:
    assert check_fps(30) == 30.0 and check_fps(MAX_FPS) == MAX_FPS
    with pytest.raises(ConfigError, match=r"100000 is out of bounds \(must be >= 0.5 and <= 1000\)"):
        check_fps(1e5, "fps")


@pytest.mark.parametrize("value", [1.5, 0, 1, -1, math.nan])
def test_fraction_strictly_inside(value: float) -> None:
    with pytest.raises(InputError, match="--test-fraction"):
        check_fraction(value, "--test-fraction", error=InputError)
    assert check_fraction(0.2, "x") == 0.2 and check_fraction(0, "x", allow_zero=True) == 0.0


def test_window_and_integer() -> None:
    assert check_window(16) == 16
    for bad in (0, -3, 1e12, 2.5):
        with pytest.raises(ConfigError, match="window"):
            check_window(bad)
    assert check_number(3, "n", low=0, high=3, integer=True) == 3
