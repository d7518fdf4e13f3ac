"""The kinematic 21-joint hand: a 12-number pose per frame rendered to MediaPipe-style landmarks.

The palm has length 1; each finger has three flexing segments and the thumb folds across the palm. A pose is the
parameter vector `PARAMS` (wrist position in normalised image x, y, scale, roll/yaw/pitch in degrees, five finger
flexions and a finger spread); `render_hand` turns `(T, 12)` poses into `(T, 21, 3)` landmarks as a
selfie-mirrored camera sees them.
"""

from __future__ import annotations

import numpy as np

from gestura.data.synthetic.people import SubjectStyle

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

# the parameter vector of one frame and the index of each parameter in it
PARAMS = ("x", "y", "scale", "roll", "yaw", "pitch", "thumb", "index", "middle", "ring", "pinky", "spread")
IDX = {k: i for i, k in enumerate(PARAMS)}
FINGERS = slice(IDX["thumb"], IDX["pinky"] + 1)
_SHAPES = {
    "open": (0.10, 0.06, 0.05, 0.08, 0.10, 1.0),
    "fist": (0.95, 1.0, 1.0, 1.0, 1.0, 0.6),
    "point_one": (0.85, 0.02, 1.0, 1.0, 1.0, 0.8),
    "point_two": (0.85, 0.02, 0.02, 1.0, 1.0, 1.8),
    "bunched": (0.55, 0.38, 0.38, 0.38, 0.38, 0.15),
    "spread": (0.0, 0.0, 0.0, 0.0, 0.0, 2.0),
}


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
    p = {k: params[:, i] for k, i in IDX.items()}
    local = np.zeros((n, 21, 3))
    normal = np.array([0.0, 0.0, 1.0])
    for f in range(4):
        ang = _FINGER_ANGLE[f] * p["spread"]
        d = np.stack([np.sin(ang), np.cos(ang), np.zeros(n)], axis=-1)  # (T, 3)
        flex = p[PARAMS[IDX["index"] + f]]
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


def with_params(state: np.ndarray, **kw: float) -> np.ndarray:
    """A copy of the pose `(12,)` with the named parameters set."""
    out = state.copy()
    for k, v in kw.items():
        out[IDX[k]] = v
    return out


def with_shape(state: np.ndarray, name: str, rng: np.random.Generator | None = None) -> np.ndarray:
    """A copy of the pose with the finger flexions and spread of hand shape `name` (jittered when `rng` is given)."""
    out = state.copy()
    vals = np.array(_SHAPES[name], dtype=np.float64)
    if rng is not None:
        vals[:5] = np.clip(vals[:5] + rng.normal(0, 0.04, 5), 0.0, 1.0)
        vals[5] *= rng.uniform(0.9, 1.1)
    out[FINGERS] = vals[:5]
    out[IDX["spread"]] = vals[5]
    return out


def rest_state(style: SubjectStyle, rng: np.random.Generator | None = None) -> np.ndarray:
    """The relaxed open hand at the person's rest position `(12,)` (jittered when `rng` is given)."""
    s = np.zeros(len(PARAMS))
    s = with_params(s, x=style.rest_x, y=style.rest_y, scale=1.0)
    s = with_shape(s, "open", rng)
    if rng is not None:
        s[IDX["x"]] += rng.normal(0, 0.25) * style.scale / style.aspect
        s[IDX["y"]] += rng.normal(0, 0.25) * style.scale
        s[IDX["roll"]] += rng.normal(0, 5)
        s[IDX["yaw"]] += rng.normal(0, 5)
    return s


def moved(state: np.ndarray, style: SubjectStyle, dx: float, dy: float) -> np.ndarray:
    """Shift by (dx, dy) palm lengths (x right, y down) at the current scale."""
    size = style.scale * state[IDX["scale"]]
    return with_params(state, x=state[IDX["x"]] + dx * size / style.aspect, y=state[IDX["y"]] + dy * size)


def room(state: np.ndarray, style: SubjectStyle, dx: float, dy: float, margin: float = 0.08) -> float:
    """Palm lengths the wrist can travel along (dx, dy) before leaving [margin, 1 - margin] of the image."""
    size = style.scale * state[IDX["scale"]]
    pos, step = (state[IDX["x"]], size / style.aspect) if dx else (state[IDX["y"]], size)
    d = dx or dy
    free = (1 - margin - pos) if d > 0 else (pos - margin)
    return max(0.3, free / step)
