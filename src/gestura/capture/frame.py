"""`Frame`: one RGB image with its timestamp, the unit every frame source yields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """An RGB image `(H, W, 3)` uint8 taken at `t_ms` milliseconds from the start of its source.

    `index` counts frames from 0 within the source; `t_ms` is strictly increasing along a source.
    """

    t_ms: int
    rgb: np.ndarray
    index: int = 0

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])
