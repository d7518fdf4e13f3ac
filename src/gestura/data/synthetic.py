"""Deterministic synthetic hand gestures: a kinematic 21-joint hand for tests, pretraining and the demo.

A hand is a small kinematic model (palm of length 1, three flexing segments per finger, a thumb that folds
across the palm) posed per frame by 12 parameters: wrist position (normalised image x, y), scale, roll/yaw/pitch
and five finger flexions plus a finger spread. Gestures are key-frame tracks of those parameters interpolated
with minimum-jerk profiles, then tremor, landmark noise and dropped detections are added per subject.

Coordinates follow MediaPipe Hands on a selfie-mirrored image: x, y in [0, 1] of width and height, z relative
to the wrist (smaller = closer to the camera); a swipe to the person's left moves towards smaller x, and
`rotate_left` turns the fingertips counter-clockwise as the person sees it. Never report accuracy on this data
as if it were real: it is a stand-in whose difficulty is whatever the generator makes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from gestura.data.formats import LandmarkDataset, write_seed003
from gestura.errors import ConfigError, InputError
from gestura.landmarks.sequence import LandmarkSequence

PRESENTATION_CLASSES = (
    "fist", "swiping_right", "swiping_left", "swiping_up", "swiping_down",
    "zooming_in_full_hand", "zooming_out_full_hand", "point_one", "point_two", "unknown",
)  # fmt: skip
"""The ten classes of the seed-000 presentation controller."""
EXTRA_CLASSES = ("rotate_left", "rotate_right")
"""Classes the real presentation streams add."""
ALL_CLASSES = PRESENTATION_CLASSES + EXTRA_CLASSES
STREAM_CLASSES = ("swiping_left", "swiping_right", "swiping_up", "swiping_down", "fist", "rotate_left", "rotate_right")
"""The seven prompted gestures of the real `presentation-streams` sessions."""
SWIPE_STYLES = ("whole_hand", "wrist_tilt")
UNKNOWN_KINDS = ("idle", "return", "transition", "no_hand", "partial")

# ------------------------------------------------------------------ hand model (local frame, palm length 1)
# x: across the palm towards the pinky (right hand), y: along the fingers, z: palm normal towards the camera.
_MCP = np.array([[-0.30, 0.92, 0.0], [0.0, 1.0, 0.0], [0.26, 0.93, 0.0], [0.48, 0.80, 0.0]])
_FINGER_ANGLE = np.radians([-9.0, 0.0, 9.0, 19.0])  # in-plane direction at spread 1
_FINGER_LEN = np.array([[0.44, 0.27, 0.22], [0.50, 0.31, 0.24], [0.46, 0.29, 0.23], [0.36, 0.22, 0.20]])
_FLEX_MAX = np.radians([85.0, 100.0, 65.0])  # mcp, pip, dip at flexion 1
_THUMB_CMC = np.array([-0.24, 0.24, 0.06])
_THUMB_LEN = np.array([0.34, 0.30, 0.25])
_THUMB_DIR = np.array([-np.sin(np.radians(42)), np.cos(np.radians(42)), 0.2])
_THUMB_FOLD = np.array([0.8, 0.05, 0.6])  # direction the thumb folds towards (across the palm, forwards)
_THUMB_FLEX = np.radians([25.0, 70.0, 110.0])

# parameter vector of one frame
_P = ("x", "y", "scale", "roll", "yaw", "pitch", "thumb", "index", "middle", "ring", "pinky", "spread")
_I = {k: i for i, k in enumerate(_P)}
_FINGERS = slice(_I["thumb"], _I["pinky"] + 1)
_SHAPES = {
    "open": (0.10, 0.06, 0.05, 0.08, 0.10, 1.0),
    "fist": (0.95, 1.0, 1.0, 1.0, 1.0, 0.6),
    "point_one": (0.85, 0.02, 1.0, 1.0, 1.0, 0.8),
    "point_two": (0.85, 0.02, 0.02, 1.0, 1.0, 1.8),
    "bunched": (0.55, 0.38, 0.38, 0.38, 0.38, 0.15),
    "spread": (0.0, 0.0, 0.0, 0.0, 0.0, 2.0),
}


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


# ------------------------------------------------------------------ rendering
def _rot(axis: int, ang: np.ndarray) -> np.ndarray:
    """`(T,)` radians -> `(T, 3, 3)` rotation about x (0), y (1) or z (2)."""
    c, s = np.cos(ang), np.sin(ang)
    o, z = np.ones_like(ang), np.zeros_like(ang)
    if axis == 0:
        m = [[o, z, z], [z, c, -s], [z, s, c]]
    elif axis == 1:
        m = [[c, z, s], [z, o, z], [-s, z, c]]
    else:
        m = [[c, -s, z], [s, c, z], [z, z, o]]
    return np.moveaxis(np.array(m), (0, 1), (-2, -1))


def render_hand(params: np.ndarray, style: SubjectStyle) -> np.ndarray:
    """Pose parameters `(T, 12)` -> MediaPipe-style hand landmarks `(T, 21, 3)` in normalised image space."""
    n = params.shape[0]
    p = {k: params[:, i] for k, i in _I.items()}
    local = np.zeros((n, 21, 3))
    normal = np.array([0.0, 0.0, 1.0])
    for f in range(4):
        ang = _FINGER_ANGLE[f] * p["spread"]
        d = np.stack([np.sin(ang), np.cos(ang), np.zeros(n)], axis=-1)  # (T, 3)
        flex = p[_P[_I["index"] + f]]
        pos = np.broadcast_to(_MCP[f], (n, 3)).copy()
        base = 5 + 4 * f
        local[:, base] = pos
        phi = np.zeros(n)
        for k in range(3):
            phi = phi + flex * _FLEX_MAX[k]
            seg = d * np.cos(phi)[:, None] + normal * np.sin(phi)[:, None]
            pos = pos + seg * _FINGER_LEN[f, k] * style.hand_size
            local[:, base + k + 1] = pos
    td = _THUMB_DIR / np.linalg.norm(_THUMB_DIR)
    fold = _THUMB_FOLD / np.linalg.norm(_THUMB_FOLD)
    pos = np.broadcast_to(_THUMB_CMC, (n, 3)).copy()
    local[:, 1] = pos
    for k in range(3):
        phi = p["thumb"] * _THUMB_FLEX[k]
        seg = td * np.cos(phi)[:, None] + fold * np.sin(phi)[:, None]
        pos = pos + seg * _THUMB_LEN[k] * style.hand_size
        local[:, 2 + k] = pos
    if style.handedness == "left":
        local[..., 0] *= -1.0
    rot = (_rot(2, np.radians(p["roll"] + style.roll0)) @ _rot(1, np.radians(p["yaw"] + style.yaw0))
           @ _rot(0, np.radians(p["pitch"] + style.pitch0)))
    world = np.einsum("tij,tkj->tki", rot, local)  # x right, y up, z towards the camera
    size = (style.scale * p["scale"])[:, None]
    out = np.empty_like(world)
    out[..., 0] = p["x"][:, None] + world[..., 0] * size / style.aspect
    out[..., 1] = p["y"][:, None] - world[..., 1] * size
    out[..., 2] = -world[..., 2] * size
    return out


# ------------------------------------------------------------------ key-frame tracks
def _min_jerk(u: np.ndarray) -> np.ndarray:
    return u * u * u * (10 - 15 * u + 6 * u * u)


class _Track:
    """Key frames of the parameter vector; sampled with minimum-jerk interpolation between them."""

    def __init__(self, state: np.ndarray) -> None:
        self.times = [0.0]
        self.states = [state.copy()]

    @property
    def end(self) -> float:
        return self.times[-1]

    @property
    def state(self) -> np.ndarray:
        return self.states[-1].copy()

    def to(self, dt: float, state: np.ndarray) -> _Track:
        self.times.append(self.times[-1] + max(dt, 1e-3))
        self.states.append(np.asarray(state, dtype=np.float64).copy())
        return self

    def hold(self, dt: float) -> _Track:
        return self.to(dt, self.state) if dt > 0 else self

    def sample(self, t: np.ndarray) -> np.ndarray:
        times, states = np.asarray(self.times), np.stack(self.states)
        i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2) if len(times) > 1 else None
        if i is None:
            return np.repeat(states[:1], len(t), axis=0)
        u = np.clip((t - times[i]) / (times[i + 1] - times[i]), 0.0, 1.0)
        w = _min_jerk(u)[:, None]
        return states[i] * (1 - w) + states[i + 1] * w


def _with(state: np.ndarray, **kw: float) -> np.ndarray:
    out = state.copy()
    for k, v in kw.items():
        out[_I[k]] = v
    return out


def _shape(state: np.ndarray, name: str, rng: np.random.Generator | None = None) -> np.ndarray:
    out = state.copy()
    vals = np.array(_SHAPES[name], dtype=np.float64)
    if rng is not None:
        vals[:5] = np.clip(vals[:5] + rng.normal(0, 0.04, 5), 0.0, 1.0)
        vals[5] *= rng.uniform(0.9, 1.1)
    out[_FINGERS] = vals[:5]
    out[_I["spread"]] = vals[5]
    return out


def rest_state(style: SubjectStyle, rng: np.random.Generator | None = None) -> np.ndarray:
    """The relaxed open hand at the person's rest position `(12,)` (jittered when `rng` is given)."""
    s = np.zeros(len(_P))
    s = _with(s, x=style.rest_x, y=style.rest_y, scale=1.0)
    s = _shape(s, "open", rng)
    if rng is not None:
        s[_I["x"]] += rng.normal(0, 0.25) * style.scale / style.aspect
        s[_I["y"]] += rng.normal(0, 0.25) * style.scale
        s[_I["roll"]] += rng.normal(0, 5)
        s[_I["yaw"]] += rng.normal(0, 5)
    return s


def _move(state: np.ndarray, style: SubjectStyle, dx: float, dy: float) -> np.ndarray:
    """Shift by (dx, dy) palm lengths (x right, y down) at the current scale."""
    size = style.scale * state[_I["scale"]]
    return _with(state, x=state[_I["x"]] + dx * size / style.aspect, y=state[_I["y"]] + dy * size)


def _room(state: np.ndarray, style: SubjectStyle, dx: float, dy: float, margin: float = 0.08) -> float:
    """Palm lengths the wrist can travel along (dx, dy) before leaving [margin, 1 - margin] of the image."""
    size = style.scale * state[_I["scale"]]
    pos, step = (state[_I["x"]], size / style.aspect) if dx else (state[_I["y"]], size)
    d = dx or dy
    free = (1 - margin - pos) if d > 0 else (pos - margin)
    return max(0.3, free / step)


_DIRS = {"swiping_left": (-1.0, 0.0), "swiping_right": (1.0, 0.0), "swiping_up": (0.0, -1.0),
         "swiping_down": (0.0, 1.0)}


def _gesture(track: _Track, label: str, style: SubjectStyle, rng: np.random.Generator, *,
             preformed: bool = False) -> None:
    """Append the key frames of one gesture to `track`, starting from its current state."""
    sp = style.speed * rng.uniform(0.85, 1.15)
    s = track.state
    if label in _DIRS:
        dx, dy = _DIRS[label]
        if style.swipe_style == "whole_hand":
            amp = min(style.swipe_amp * rng.uniform(0.85, 1.15), _room(s, style, dx, dy))
            end = _move(s, style, dx * amp, dy * amp)
            end[_I["roll"]] += -dx * rng.uniform(0, 10)
            end[_I["pitch"]] += dy * rng.uniform(0, 10)
            track.to(rng.uniform(0.35, 0.5) / sp, end)
        else:
            tilt = style.tilt_deg * rng.uniform(0.85, 1.15)
            amp = style.swipe_amp * rng.uniform(0.8, 1.2)
            end = _move(s, style, dx * amp, dy * amp)
            if dx:
                end[_I["roll"]] += -dx * tilt
                end[_I["yaw"]] += dx * rng.uniform(0, 15)
            else:
                end[_I["pitch"]] += dy * tilt
            track.to(rng.uniform(0.2, 0.35) / sp, end)
    elif label == "fist":
        end = _move(_shape(s, "fist", rng), style, 0.0, rng.uniform(0.0, 0.2))
        end[_I["pitch"]] += rng.uniform(0, 15)
        track.to(rng.uniform(0.3, 0.5) / sp, end)
    elif label in ("rotate_left", "rotate_right"):
        # A left hand's rotate_left is the mirror image of a right hand's rotate_right (gestura.features.handedness):
        # the mirror negates roll and yaw alike, so neither depends on the hand here (the hand's shape is mirrored
        # where the frames are drawn).
        sign = 1.0 if label == "rotate_left" else -1.0
        end = _with(s, roll=s[_I["roll"]] + sign * rng.uniform(15, 45), yaw=s[_I["yaw"]] + sign * rng.uniform(50, 85))
        track.to(rng.uniform(0.35, 0.6) / sp, end)
    elif label in ("zooming_in_full_hand", "zooming_out_full_hand"):
        zoom_in = label == "zooming_in_full_hand"
        start = _shape(s, "bunched" if zoom_in else "spread", rng)
        if not preformed:
            track.to(rng.uniform(0.15, 0.25) / sp, start)
        end = _shape(start, "spread" if zoom_in else "bunched", rng)
        end[_I["scale"]] *= rng.uniform(1.2, 1.4) if zoom_in else rng.uniform(0.7, 0.82)
        track.to(rng.uniform(0.35, 0.55) / sp, end)
    elif label in ("point_one", "point_two"):
        shaped = _shape(s, label, rng)
        shaped[_I["pitch"]] += rng.uniform(-10, 10)
        if not preformed:
            track.to(rng.uniform(0.15, 0.3) / sp, shaped)
        ang = rng.uniform(0, 2 * np.pi)
        amp = rng.uniform(0.05, 0.2)
        track.to(rng.uniform(0.3, 0.5) / sp, _move(shaped, style, amp * np.cos(ang), amp * np.sin(ang)))
    else:
        raise InputError(f"unknown synthetic class {label!r}; choose from {', '.join(ALL_CLASSES)}")


def _preform(label: str, state: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The hand shape a gesture starts from when it is already formed at the first frame."""
    if label == "zooming_in_full_hand":
        return _shape(state, "bunched", rng)
    if label == "zooming_out_full_hand":
        return _shape(state, "spread", rng)
    if label in ("point_one", "point_two"):
        return _shape(state, label, rng)
    return state


def _unknown(track: _Track, style: SubjectStyle, rng: np.random.Generator, kind: str, duration: float) -> None:
    """Append `duration` seconds of non-gesture motion of `kind` (idle, return, transition)."""
    s = track.state
    if kind == "return":
        swipe = str(rng.choice(list(_DIRS)))
        disp = _Track(s)
        _gesture(disp, swipe, style, rng)
        track.states[-1] = disp.state  # start where a swipe ended
        back = _move(s, style, *rng.normal(0, 0.1, 2))
        d = min(duration * 0.9, rng.uniform(0.45, 0.8) / style.speed)
        track.hold((duration - d) * rng.uniform(0, 0.5)).to(d, back)
    elif kind == "transition":
        if rng.random() < 0.5:
            part = s.copy()
            part[_FINGERS] = np.clip(s[_FINGERS] + rng.uniform(0.1, 0.35), 0, 1)
            track.to(duration * 0.45, part).to(duration * 0.45, s)
        else:
            ang = rng.uniform(0, 2 * np.pi)
            amp = rng.uniform(0.6, 1.5)
            start = _move(s, style, amp * np.cos(ang), amp * np.sin(ang))
            track.states[-1] = start
            track.to(duration * rng.uniform(0.7, 0.95), s)
    else:  # idle drift
        n = max(1, int(duration / 0.4))
        for _ in range(n):
            nxt = _move(s, style, *rng.normal(0, 0.07, 2))
            nxt[_FINGERS] = np.clip(s[_FINGERS] + rng.normal(0, 0.04, 5), 0, 0.5)
            track.to(duration / n, nxt)
    if track.end < duration:
        track.hold(duration - track.end)


# ------------------------------------------------------------------ noise and packaging
def _noisy(params: np.ndarray, t: np.ndarray, style: SubjectStyle, rng: np.random.Generator) -> np.ndarray:
    """Add smooth tremor (position in palm lengths, angles in degrees) to parameters `(T, 12)`."""
    n = len(t)
    out = params.copy()
    a = 0.8
    eps = rng.normal(0, 1, (n, 5))
    ar = np.zeros((n, 5))
    for i in range(n):
        ar[i] = (a * ar[i - 1] if i else 0) + np.sqrt(1 - a * a) * eps[i]
    size = style.scale * params[:, _I["scale"]]
    out[:, _I["x"]] += ar[:, 0] * style.tremor * size / style.aspect
    out[:, _I["y"]] += ar[:, 1] * style.tremor * size
    out[:, _I["roll"]] += ar[:, 2] * style.tremor * 40
    out[:, _I["yaw"]] += ar[:, 3] * style.tremor * 40
    out[:, _I["pitch"]] += ar[:, 4] * style.tremor * 40
    return out


def _finish(xyz: np.ndarray, style: SubjectStyle, rng: np.random.Generator, present: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Landmark noise, bursty dropped detections and out-of-frame hands: -> (xyz zeroed where absent, present)."""
    n = xyz.shape[0]
    size = style.scale
    noise = rng.normal(0, style.jitter * size, xyz.shape)
    noise[..., 0] /= style.aspect
    xyz = xyz + noise
    present = present.copy()
    if style.drop_rate > 0:
        starts = rng.random(n) < style.drop_rate / 2.5
        for i in np.flatnonzero(starts):
            present[i: i + int(rng.geometric(0.4))] = False
    inside = ((xyz[..., :2] >= 0) & (xyz[..., :2] <= 1)).all(axis=-1).mean(axis=1) >= 0.5
    present &= inside
    xyz = np.where(present[:, None, None], xyz, 0.0)
    return xyz.astype(np.float32), present


def _to_sequence(xyz: np.ndarray, present: np.ndarray, t: np.ndarray, fps: float, style: SubjectStyle,
                 **meta: object) -> LandmarkSequence:
    other = "left_hand" if style.hand == "right_hand" else "right_hand"
    n = len(t)
    w, h = (1280, 720) if style.aspect > 1.5 else (640, 480)
    return LandmarkSequence.from_arrays(
        {"left_hand": np.zeros((n, 21, 3), np.float32), "right_hand": np.zeros((n, 21, 3), np.float32),
         style.hand: xyz},
        fps, t=t, present={style.hand: present, other: np.zeros(n, dtype=bool)}, subject=style.subject,
        source="synthetic", attrs={"synthetic": True, "image_size": (w, h), "handedness": style.handedness},
        **meta,
    )


# ------------------------------------------------------------------ public API
def make_clip(label: str, style: SubjectStyle, rng: np.random.Generator, n_frames: int | None = None,
              fps: float = 30.0, *, unknown_kind: str | None = None) -> LandmarkSequence:
    """One labelled clip of about one second (`n_frames` defaults to `fps`): a single gesture or `unknown`.

    `unknown` is an idle hand, a transition, the return movement after a swipe, no hand, or a hand entering
    or leaving (`unknown_kind` picks one of `UNKNOWN_KINDS`; random when None).
    """
    if label not in ALL_CLASSES:
        raise InputError(f"unknown synthetic class {label!r}; choose from {', '.join(ALL_CLASSES)}")
    n = int(n_frames or round(fps))
    if n < 2:
        raise InputError(f"n_frames must be at least 2, got {n}")
    duration = n / fps
    t = np.arange(n) / fps
    start = rest_state(style, rng)
    present = np.ones(n, dtype=bool)
    if label == "unknown":
        kind = unknown_kind or str(rng.choice(UNKNOWN_KINDS, p=[0.35, 0.3, 0.15, 0.1, 0.1]))
        if kind not in UNKNOWN_KINDS:
            raise InputError(f"unknown_kind must be one of {UNKNOWN_KINDS}, got {kind!r}")
        track = _Track(start)
        _unknown(track, style, rng, "idle" if kind in ("no_hand", "partial") else kind, duration)
        if kind == "no_hand":
            present[:] = False
        elif kind == "partial":
            cut = int(rng.integers(n // 4, 3 * n // 4))
            present[:cut] = False
            if rng.random() < 0.5:
                present = present[::-1].copy()
    else:
        preformed = rng.random() < 0.5
        track = _Track(_preform(label, start, rng) if preformed else start)
        probe = _Track(track.state)
        _gesture(probe, label, style, np.random.default_rng(rng.integers(1 << 32)), preformed=preformed)
        squeeze = min(1.0, (duration - 0.1) / max(probe.end, 1e-3))
        onset = rng.uniform(0.0, max(0.0, duration - probe.end * squeeze - 0.05)) * 0.6
        track.hold(onset)
        for dt, st in zip(np.diff(probe.times), probe.states[1:]):
            track.to(dt * squeeze, st)
        track.hold(max(0.0, duration - track.end))
    params = _noisy(track.sample(t), t, style, rng)
    xyz, present = _finish(render_hand(params, style), style, rng, present)
    return _to_sequence(xyz, present, t, fps, style, label=label)


def make_dataset(n_subjects: int, n_per_class: int = 5, classes: tuple[str, ...] | list[str] = PRESENTATION_CLASSES,
                 seed: int = 0, fps: float = 30.0, *, n_classes: int | None = None,
                 n_frames: int | None = None) -> LandmarkDataset:
    """`n_subjects` people x `n_per_class` clips of each class, deterministic under `seed`.

    Subjects alternate the two swipe styles and every fourth is left-handed, so small sets cover both;
    `n_classes` keeps only the first n of `classes`. Each clip has `subject` and `session` set.
    """
    names = tuple(classes)[: n_classes] if n_classes else tuple(classes)
    if bad := [c for c in names if c not in ALL_CLASSES]:
        raise InputError(f"unknown synthetic class {bad[0]!r}; choose from {', '.join(ALL_CLASSES)}")
    seqs: list[LandmarkSequence] = []
    for i in range(n_subjects):
        style = SubjectStyle.sample(np.random.default_rng([seed, i]), subject=f"s{i:02d}",
                                    handedness="left" if i % 4 == 3 else "right",
                                    swipe_style=SWIPE_STYLES[i % 2])
        for ci, label in enumerate(names):
            for k in range(n_per_class):
                rng = np.random.default_rng([seed, i, ALL_CLASSES.index(label), k])
                seq = make_clip(label, style, rng, n_frames=n_frames, fps=fps)
                seq.video_id = f"{style.subject}_{label}_{k:03d}"
                seq.session = f"{style.subject}-1"
                seqs.append(seq)
    return LandmarkDataset(root=Path("<synthetic>"), format="synthetic", sequences=seqs)


def make_session(script: list[str] | tuple[str, ...], style: SubjectStyle | None = None, seed: int = 0,
                 fps: float = 30.0, *,
                 prompt_s: float = 1.0, rest_s: tuple[float, float] = (1.0, 2.0), label_mode: str = "prompt",
                 session: str | None = None) -> LandmarkSequence:
    """A continuous recording: each scripted gesture is prompted for `prompt_s`, then a rest with the return move.

    Frame labels mark the prompt windows (`label_mode="prompt"`, like the real streams: people start
    `style.reaction_lag` s late and motion may spill into the rest) or exactly the gesture motion
    (`label_mode="motion"`); everything else is `unknown`. Timestamps jitter ±10% around 1/fps.
    `attrs["prompts"]` and `attrs["motions"]` hold `[label, start_s, end_s]` rows.
    """
    style = style or SubjectStyle()
    if label_mode not in ("prompt", "motion"):
        raise InputError(f"label_mode must be 'prompt' or 'motion', got {label_mode!r}")
    if bad := [c for c in script if c not in ALL_CLASSES]:
        raise InputError(f"unknown synthetic class {bad[0]!r}; choose from {', '.join(ALL_CLASSES)}")
    rng = np.random.default_rng(seed)
    rest = rest_state(style)
    track = _Track(rest)
    _unknown(track, style, rng, "idle", rng.uniform(1.0, 1.5))
    prompts: list[list[object]] = []
    motions: list[list[object]] = []
    for label in script:
        p0 = track.end
        prompts.append([label, p0, p0 + prompt_s])
        rest_len = rng.uniform(*rest_s)
        if label == "unknown":
            _unknown(track, style, rng, "idle", prompt_s + rest_len)
            continue
        track.hold(style.reaction_lag * rng.uniform(0.8, 1.25))
        m0 = track.end
        _gesture(track, label, style, rng)
        motions.append([label, m0, track.end])
        track.hold(rng.uniform(0.1, 0.3))
        back = rest_state(style, rng)
        back[_I["x"]] = 0.5 * (back[_I["x"]] + rest[_I["x"]])
        track.to(rng.uniform(0.45, 0.8) / style.speed, back)
        target = p0 + prompt_s + rest_len
        if track.end < target:
            _unknown(track, style, rng, "idle", target - track.end)
    total = track.end
    dts = (1.0 / fps) * rng.uniform(0.9, 1.1, int(total * fps * 1.2) + 2)
    t = np.concatenate([[0.0], np.cumsum(dts)])
    t = t[t < total]
    params = _noisy(track.sample(t), t, style, rng)
    xyz, present = _finish(render_hand(params, style), style, rng, np.ones(len(t), dtype=bool))
    spans = prompts if label_mode == "prompt" else motions
    labels = np.full(len(t), "unknown", dtype=object)
    for label, a, b in spans:
        labels[(t >= a) & (t < b)] = label
    seq = _to_sequence(xyz, present, t, fps, style, frame_labels=labels.astype(str),
                       video_id=f"{style.subject}_session{seed}", session=session or f"{style.subject}-{seed}")
    seq.attrs["prompts"] = [[str(a), float(b), float(c)] for a, b, c in prompts]
    seq.attrs["motions"] = [[str(a), float(b), float(c)] for a, b, c in motions]
    return seq


def make_stream_dataset(n_subjects: int = 2, n_sessions: int = 2, reps: int = 2,
                        classes: tuple[str, ...] | list[str] = STREAM_CLASSES, seed: int = 0,
                        fps: float | None = None) -> LandmarkDataset:
    """Continuous sessions like `presentation-streams`: each session prompts every class `reps` times, shuffled.

    Subjects alternate swipe styles and frame rates (27 and 15 fps, as the two real people, unless `fps` is given);
    the second session of every odd subject is left-handed; each session changes camera distance
    (`SubjectStyle.for_session`).
    """
    seqs: list[LandmarkSequence] = []
    for i in range(n_subjects):
        rng = np.random.default_rng([seed, i, 7])
        base = SubjectStyle.sample(rng, subject=f"p{i:02d}", handedness="right", swipe_style=SWIPE_STYLES[i % 2])
        for k in range(n_sessions):
            style = base.for_session(rng) if k else base
            if i % 2 and k == 1:
                style = replace(style, handedness="left", rest_x=1.0 - style.rest_x)
            script = [str(c) for c in rng.permutation(list(classes) * reps)]
            seqs.append(make_session(script, style, seed=int(rng.integers(1 << 31)),
                                     fps=fps or (27.0 if i % 2 == 0 else 15.0), session=f"p{i:02d}-{k + 1}"))
            seqs[-1].video_id = f"p{i:02d}_s{k + 1}"
    return LandmarkDataset(root=Path("<synthetic>"), format="synthetic", sequences=seqs)


def write_synthetic(out_dir: str | Path, n_subjects: int = 4, n_per_class: int = 5, seed: int = 0,
                    fps: float = 30.0, *, sessions: int = 0) -> Path:
    """Write `make_dataset(...)` (or, with `sessions` > 0, `make_stream_dataset(...)` with `n_per_class`
    prompts per class) in the seed-003 layout so it reads back like real data.

    `fps` and the total frame count are checked against `gestura.limits` before anything is generated."""
    from gestura.limits import MAX_SYNTH_FRAMES, check_fps

    fps = check_fps(fps, "--fps")
    classes = len(STREAM_CLASSES) if sessions > 0 else len(PRESENTATION_CLASSES)
    per_clip = 12.0 * fps if sessions > 0 else round(fps)  # a prompt of a session spans several seconds
    total = float(n_subjects) * max(sessions, 1) * n_per_class * classes * per_clip
    if total > MAX_SYNTH_FRAMES:
        raise ConfigError(f"--subjects {n_subjects} x --per-class {n_per_class} at --fps {fps:g} would generate "
                          f"about {total:.3g} frames, over the {MAX_SYNTH_FRAMES:,}-frame limit")
    if sessions > 0:
        ds = make_stream_dataset(n_subjects, sessions, reps=n_per_class, seed=seed)
    else:
        ds = make_dataset(n_subjects, n_per_class, seed=seed, fps=fps)
    return write_seed003(out_dir, ds.sequences)

