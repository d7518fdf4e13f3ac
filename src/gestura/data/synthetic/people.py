"""`SubjectStyle`: how one generated person gestures in one setting (hand, size, distance, speed, noise)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gestura.errors import InputError

SWIPE_STYLES = ("whole_hand", "wrist_tilt")


@dataclass(frozen=True)
class SubjectStyle:
    """How one (synthetic) person gestures in one setting.

    `scale` is the palm length (wrist to middle-finger MCP) in image-height units, i.e. camera distance;
    `hand_size` scales finger length relative to the palm. Angles are degrees. `swipe_style` "wrist_tilt" turns
    the palm `tilt_deg` while the wrist moves `swipe_amp` ~0.3 palm lengths; "whole_hand" moves 1-1.7 palm lengths.
    """

    subject: str = "s00"
    handedness: str = "right"
    hand_size: float = 1.0
    scale: float = 0.14
    rest_x: float = 0.62
    rest_y: float = 0.55
    roll0: float = 0.0
    yaw0: float = 0.0
    pitch0: float = 0.0
    speed: float = 1.0
    tremor: float = 0.02
    jitter: float = 0.015
    drop_rate: float = 0.02
    swipe_style: str = "whole_hand"
    swipe_amp: float = 1.3
    tilt_deg: float = 60.0
    reaction_lag: float = 0.3
    aspect: float = 16 / 9

    def __post_init__(self) -> None:
        if self.handedness not in ("right", "left"):
            raise InputError(f"SubjectStyle.handedness must be 'right' or 'left', got {self.handedness!r}")
        if self.swipe_style not in SWIPE_STYLES:
            raise InputError(f"SubjectStyle.swipe_style must be one of {SWIPE_STYLES}, got {self.swipe_style!r}")
        if self.scale <= 0 or self.speed <= 0:
            raise InputError("SubjectStyle.scale and speed must be positive")

    @property
    def hand(self) -> str:
        """The stream name this person's gesturing hand goes to."""
        return f"{self.handedness}_hand"

    @classmethod
    def sample(cls, rng: np.random.Generator, subject: str = "s00", *, handedness: str | None = None,
               swipe_style: str | None = None) -> SubjectStyle:
        """A random person: hand size, handedness, speed, distance, rotation, tremor, drops and swipe style."""
        hand = handedness or ("left" if rng.random() < 0.2 else "right")
        style = swipe_style or str(rng.choice(SWIPE_STYLES))
        side = 1.0 if hand == "right" else -1.0
        return cls(
            subject=subject,
            handedness=hand,
            hand_size=float(rng.uniform(0.9, 1.1)),
            scale=float(np.exp(rng.uniform(np.log(0.06), np.log(0.35)))),
            rest_x=float(0.5 + side * rng.uniform(0.05, 0.2)),
            rest_y=float(rng.uniform(0.45, 0.65)),
            roll0=float(rng.normal(0, 10) - side * 5),
            yaw0=float(rng.normal(0, 12)),
            pitch0=float(rng.normal(0, 10)),
            speed=float(rng.uniform(0.75, 1.35)),
            tremor=float(rng.uniform(0.005, 0.04)),
            jitter=float(rng.uniform(0.005, 0.03)),
            drop_rate=float(rng.uniform(0.0, 0.06)),
            swipe_style=style,
            swipe_amp=float(rng.uniform(1.0, 1.7) if style == "whole_hand" else rng.uniform(0.2, 0.4)),
            tilt_deg=float(rng.uniform(40, 80)),
            reaction_lag=float(rng.uniform(0.15, 0.45)),
            aspect=float(rng.choice([16 / 9, 4 / 3])),
        )

    def for_session(self, rng: np.random.Generator) -> SubjectStyle:
        """The same person in another session: camera distance (up to ~3x), position and rotation change."""
        return replace(
            self,
            scale=float(np.clip(self.scale * np.exp(rng.uniform(np.log(0.55), np.log(1.8))), 0.05, 0.45)),
            rest_x=float(np.clip(self.rest_x + rng.normal(0, 0.05), 0.25, 0.75)),
            rest_y=float(np.clip(self.rest_y + rng.normal(0, 0.05), 0.35, 0.7)),
            roll0=self.roll0 + float(rng.normal(0, 5)),
            yaw0=self.yaw0 + float(rng.normal(0, 5)),
        )
