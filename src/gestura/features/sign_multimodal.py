"""`sign-multimodal-v1` (534 dims): a multi-modal sign-language frame, both hands plus upper body.

Body frame: origin at the shoulder midpoint, unit = shoulder width (x-y); frames without a usable pose fall back
to the mean present wrist and `palm_to_body` x the mean palm length. Hand slots are canonical per frame, not the
detector's: slot a is the hand further left in the image, slot b the other (two hands: ordered by wrist x; one
hand: by the side of the body, or of the image centre without a pose). Holistic's left/right slots swapping
mid-sequence therefore change nothing. Blocks (per hand a then b where doubled):
`pose` 25 upper-body joints x (x, y, z) in the body frame; `hand_shape` 2 x 21 x 3 wrist-relative palm-scaled;
`hand_location` 2 x (x, y of the wrist in the body frame, palm length / body unit); `angle_cosines` 2 x 15;
`velocity` and `acceleration` of [hand_shape, hand_location] per hand (2 x 66 each, per `velocity_unit` s);
`shape_descriptors` 2 x (5 tip-wrist distances, 4 adjacent-tip distances, unit palm normal); `trajectory` 2 x
wrist displacement in the body frame over the last `traj_frames` frames; `presence` (hand a, hand b, pose).
Optional causal Savitzky-Golay smoothing (`smooth_window` > 0) of the canonically ordered landmarks keeps
streaming equal to offline. Everything but `presence` is translation and scale invariant.

`sign-multimodal-v2` (same 534 columns, `frame_features_v2`) is the signer-invariant recipe: what a new signer's
body, camera and handedness change is taken out. (1) A left-dominant signer (`dominant="left"`) is mirrored
(`mirror_sequence`), so slot a is always the dominant hand. (2) Slots follow the body, not the image: each
detected hand goes to the nearer pose wrist (slot a = the signer's right hand), so a hand crossing the midline
keeps its slot; without a pose, v1's image-side rule. (3) The shoulders are levelled: every x-y quantity
(pose, hand locations, trajectories and the hand shapes themselves) is rotated so the shoulder line is
horizontal, so hand shapes are relative to the body, not the camera's roll. (4) The pose block keeps the nose,
shoulders, arms and hand points only: the other face points (head size, glasses) and the hips (out of frame
for most webcam framings, so guessed) carry who and where the signer is, not the sign; pose depth is dropped
(monocular pose z is a per-body guess). (5) Values are clipped to ±10 so a broken pose frame cannot dominate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.features.kinematics import DEFAULT_UNIT, HAND_ANGLE_TRIPLETS_15, acceleration, angle_cosines, velocity
from gestura.features.normalize import EPS, normalize_hand, palm_scale
from gestura.features.handedness import mirror_sequence
from gestura.features.schema import SIGN_MULTIMODAL_V1, SIGN_MULTIMODAL_V2
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.skeleton import FINGERTIPS, UPPER_BODY_POSE

SCHEMA = SIGN_MULTIMODAL_V1
DEFAULTS: dict[str, Any] = {"smooth_window": 0, "smooth_order": 2, "traj_frames": 5,
                            "velocity_unit": DEFAULT_UNIT, "palm_to_body": 4.0}
L_SHOULDER, R_SHOULDER = 11, 12
L_WRIST, R_WRIST = 15, 16
DEFAULTS_V2: dict[str, Any] = {**DEFAULTS, "dominant": "right", "hands_by_body": True, "level_shoulders": True,
                               "arms_only_pose": True}
"""v2's switches, each one of the recipe's steps (all on = sign-multimodal-v2; for ablations)."""
_SWITCHES = ("hands_by_body", "level_shoulders", "arms_only_pose")
KEPT_POSE_V2 = (0,) + tuple(range(11, 23))
"""Pose joints `sign-multimodal-v2` keeps: the nose, shoulders, elbows, wrists and the pose's hand points."""
CLIP_V2 = 10.0


def validate(params: dict[str, Any]) -> None:
    """Raise `ConfigError` for a bad parameter value."""
    w, o = params["smooth_window"], params["smooth_order"]
    if not isinstance(w, int) or w < 0 or (w and (w <= o or w < 3)):
        raise ConfigError(f"sign-multimodal-v1: smooth_window must be 0 (off) or an int >= 3 and > smooth_order, "
                          f"got {w!r}")
    if not isinstance(params["traj_frames"], int) or params["traj_frames"] < 1:
        raise ConfigError(f"sign-multimodal-v1: traj_frames must be an int >= 1, got {params['traj_frames']!r}")
    if not float(params["velocity_unit"]) > 0 or not float(params["palm_to_body"]) > 0:
        raise ConfigError("sign-multimodal-v1: velocity_unit and palm_to_body must be > 0")


def validate_v2(params: dict[str, Any]) -> None:
    """`validate` plus `dominant` in {"right", "left"}."""
    validate({k: v for k, v in params.items() if k != "dominant" and k not in _SWITCHES})
    if params["dominant"] not in ("right", "left"):
        raise ConfigError(f"sign-multimodal-v2: dominant must be 'right' or 'left', got {params['dominant']!r}")
    if bad := [k for k in _SWITCHES if not isinstance(params[k], bool)]:
        raise ConfigError(f"sign-multimodal-v2: {', '.join(bad)} must be true or false")


def context(params: dict[str, Any]) -> int:
    """Acceleration needs 2 past frames, the trajectory `traj_frames`, smoothing `smooth_window - 1` more."""
    w = int(params["smooth_window"])
    return max(2, int(params["traj_frames"])) + (w - 1 if w else 0)


def causal_savgol(x: np.ndarray, present: np.ndarray, window: int, order: int) -> np.ndarray:
    """Savitzky-Golay estimate at the newest frame of each trailing window: `(T, ...) -> (T, ...)`.

    Frames without `window` present frames behind them are returned unchanged.
    """
    from scipy.signal import savgol_coeffs

    if window <= 0 or x.shape[0] < window:
        return x
    c = savgol_coeffs(window, order, pos=window - 1, use="dot")
    flat = x.reshape(x.shape[0], -1).astype(np.float64)
    win = np.lib.stride_tricks.sliding_window_view(flat, window, axis=0)  # (T-w+1, D, w)
    est = win @ c
    ok = np.lib.stride_tricks.sliding_window_view(present, window).all(axis=1)
    out = flat.copy()
    out[window - 1:][ok] = est[ok]
    return out.reshape(x.shape).astype(x.dtype)


def _stream(seq: LandmarkSequence, name: str, joints: int) -> tuple[np.ndarray, np.ndarray]:
    n = seq.n_frames
    if name not in seq.streams:
        return np.zeros((n, joints, 3), np.float32), np.zeros(n, bool)
    a = seq.streams[name][..., :3].astype(np.float32)
    if a.shape[-1] == 2:
        a = np.concatenate([a, np.zeros(a.shape[:-1] + (1,), np.float32)], axis=-1)
    return a, seq.present[name].astype(bool)


def canonical_hands(left: np.ndarray, lp: np.ndarray, right: np.ndarray, rp: np.ndarray,
                    side_x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Order two hand slots per frame by image side: `-> (a, a_present, b, b_present)`, a = further left.

    Two hands: the smaller wrist x is a. One hand: a when its wrist x < `side_x` (body midline or 0.5).
    """
    lx, rx = left[:, 0, 0], right[:, 0, 0]
    both = lp & rp
    left_is_a = np.where(both, lx <= rx, np.where(lp, lx < side_x, False))
    right_is_a = np.where(both, ~left_is_a, np.where(rp, rx < side_x, False))
    a = np.where(left_is_a[:, None, None], left, right)
    ap = (left_is_a & lp) | (right_is_a & rp)
    b = np.where(left_is_a[:, None, None], right, left)
    bp = np.where(left_is_a, rp, np.where(right_is_a, lp, lp | rp))
    b = np.where((~left_is_a & ~right_is_a)[:, None, None], np.where(lp[:, None, None], left, right), b)
    return a, ap, b, bp


def _descriptors(shape: np.ndarray) -> np.ndarray:
    tips = np.asarray(FINGERTIPS)
    to_wrist = np.linalg.norm(shape[:, tips], axis=-1)
    adjacent = np.linalg.norm(shape[:, tips[1:]] - shape[:, tips[:-1]], axis=-1)
    normal = np.cross(shape[:, 5], shape[:, 17])
    nn_ = np.linalg.norm(normal, axis=-1, keepdims=True)
    normal = np.where(nn_ > EPS, normal / np.maximum(nn_, EPS), 0.0)
    return np.concatenate([to_wrist, adjacent, normal], axis=1)


def body_side_hands(left: np.ndarray, lp: np.ndarray, right: np.ndarray, rp: np.ndarray, pose: np.ndarray,
                    pose_ok: np.ndarray, side_x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hand slots by the body: `-> (a, a_present, b, b_present)`, a = the signer's right hand (nearer the pose's
    right wrist), b = the left one; frames without a pose use `canonical_hands`."""
    a0, ap0, b0, bp0 = canonical_hands(left, lp, right, rp, side_x)

    def dist(h: np.ndarray, p: np.ndarray, w: int) -> np.ndarray:
        return np.where(p, np.linalg.norm(h[:, 0, :2] - pose[:, w, :2], axis=-1), 0.0)

    keep = dist(right, rp, R_WRIST) + dist(left, lp, L_WRIST)
    swap = dist(left, lp, R_WRIST) + dist(right, rp, L_WRIST) < keep
    a = np.where(swap[:, None, None], left, right)
    ap = np.where(swap, lp, rp)
    b = np.where(swap[:, None, None], right, left)
    bp = np.where(swap, rp, lp)
    po = pose_ok[:, None, None]
    return np.where(po, a, a0), np.where(pose_ok, ap, ap0), np.where(po, b, b0), np.where(pose_ok, bp, bp0)


def _rotate_xy(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate the first two coordinates of `(T, ..., C)` by the per-frame angle given as `(T,)` cos and sin."""
    shape = (-1,) + (1,) * (x.ndim - 2)
    c, s_ = cos.reshape(shape), sin.reshape(shape)
    out = x.copy()
    out[..., 0] = c * x[..., 0] - s_ * x[..., 1]
    out[..., 1] = s_ * x[..., 0] + c * x[..., 1]
    return out


def frame_features(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`seq -> ((T, 534), valid (T,))`; a frame is valid when at least one hand is present."""
    return _features(seq, params, invariant=False)


def frame_features_v2(seq: LandmarkSequence, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """`sign-multimodal-v2`: the signer-invariant recipe (module docstring), `seq -> ((T, 534), valid (T,))`."""
    if params.get("dominant", "right") == "left":
        seq = mirror_sequence(seq)
    steps = {k: bool(params.get(k, True)) for k in _SWITCHES}
    rest = {k: v for k, v in params.items() if k != "dominant" and k not in _SWITCHES}
    return _features(seq, rest, invariant=True, **steps)


def _features(seq: LandmarkSequence, params: dict[str, Any], invariant: bool, hands_by_body: bool = True,
              level_shoulders: bool = True, arms_only_pose: bool = True) -> tuple[np.ndarray, np.ndarray]:
    if not seq.hands():
        raise InputError(f"{seq.source or seq.video_id or '<sequence>'}: sign-multimodal-v1 needs hand streams, "
                         f"got {sorted(seq.streams)}")
    n, t = seq.n_frames, seq.t
    unit = float(params["velocity_unit"])
    smooth = (int(params["smooth_window"]), int(params["smooth_order"]))
    pose, pp = _stream(seq, "pose", 33)
    left, lp = _stream(seq, "left_hand", 21)
    right, rp = _stream(seq, "right_hand", 21)

    mid = (pose[:, L_SHOULDER] + pose[:, R_SHOULDER]) / 2
    width = np.linalg.norm(pose[:, L_SHOULDER, :2] - pose[:, R_SHOULDER, :2], axis=-1)
    pose_ok = pp & (width > EPS)
    side_x = np.where(pose_ok, mid[:, 0], 0.5)
    if invariant and hands_by_body:
        a, ap, b, bp = body_side_hands(left, lp, right, rp, pose, pose_ok, side_x)
    else:
        a, ap, b, bp = canonical_hands(left, lp, right, rp, side_x)
    pose, a, b = causal_savgol(pose, pp, *smooth), causal_savgol(a, ap, *smooth), causal_savgol(b, bp, *smooth)
    mid = (pose[:, L_SHOULDER] + pose[:, R_SHOULDER]) / 2
    width = np.linalg.norm(pose[:, L_SHOULDER, :2] - pose[:, R_SHOULDER, :2], axis=-1)
    pose_ok = pp & (width > EPS)
    a_scale, b_scale = palm_scale(a), palm_scale(b)
    ap &= a_scale > EPS
    bp &= b_scale > EPS
    n_present = ap.astype(float) + bp.astype(float)
    wrist_mean = (a[:, 0] * ap[:, None] + b[:, 0] * bp[:, None]) / np.maximum(n_present, 1)[:, None]
    palm_mean = (a_scale * ap + b_scale * bp) / np.maximum(n_present, 1)
    origin = np.where(pose_ok[:, None], mid, wrist_mean)
    unit_len = np.where(pose_ok, width, float(params["palm_to_body"]) * palm_mean)
    body_ok = unit_len > EPS
    scale = np.where(body_ok, unit_len, 1.0)
    valid = (ap | bp) & body_ok
    level_on = invariant and level_shoulders
    if level_on:  # level the shoulders: rotate by minus the shoulder line's angle in the image
        v = pose[:, L_SHOULDER, :2] - pose[:, R_SHOULDER, :2]
        ang = np.where(pose_ok, np.arctan2(v[:, 1] * np.sign(v[:, 0] + EPS), np.abs(v[:, 0])), 0.0)  # within ±90 degrees
        rc, rs = np.cos(-ang), np.sin(-ang)

    def level(x: np.ndarray) -> np.ndarray:
        return _rotate_xy(x, rc, rs) if level_on else x

    feats = np.zeros((n, SCHEMA.dim), np.float32)
    blk = SCHEMA.blocks
    body_pose = level((pose[:, list(UPPER_BODY_POSE)] - origin[:, None]) / scale[:, None, None])
    if invariant and arms_only_pose:
        dropped = [i for i, j in enumerate(UPPER_BODY_POSE) if j not in KEPT_POSE_V2]
        body_pose[:, dropped] = 0.0
        body_pose[..., 2] = 0.0
    feats[:, blk["pose"]] = np.where(pose_ok[:, None, None], body_pose, 0.0).reshape(n, -1)

    shapes, locs, cos, desc, motion = [], [], [], [], []
    for h, hp, hs in ((a, ap, a_scale), (b, bp, b_scale)):
        shape, _ = normalize_hand(h)
        shape = np.where(hp[:, None, None], level(shape), 0.0)
        wrist = level(((h[:, 0, :2] - origin[:, :2]) / scale[:, None])[:, None])[:, 0]
        loc = np.concatenate([wrist, (hs / scale)[:, None]], axis=1)
        loc = np.where(hp[:, None], loc, 0.0)
        shapes.append(shape.reshape(n, 63))
        locs.append(loc)
        cos.append(np.where(hp[:, None], angle_cosines(shape, HAND_ANGLE_TRIPLETS_15), 0.0))
        desc.append(np.where(hp[:, None], _descriptors(shape), 0.0))
        motion.append((np.concatenate([shape.reshape(n, 63), loc], axis=1), hp))
    feats[:, blk["hand_shape"]] = np.concatenate(shapes, axis=1)
    feats[:, blk["hand_location"]] = np.concatenate(locs, axis=1)
    feats[:, blk["angle_cosines"]] = np.concatenate(cos, axis=1)
    feats[:, blk["velocity"]] = np.concatenate([velocity(m, t, hp, unit) for m, hp in motion], axis=1)
    feats[:, blk["acceleration"]] = np.concatenate([acceleration(m, t, hp, unit) for m, hp in motion], axis=1)
    feats[:, blk["shape_descriptors"]] = np.concatenate(desc, axis=1)
    k = int(params["traj_frames"])
    traj = []
    for loc, hp in zip(locs, (ap, bp)):
        d = np.zeros((n, 3), np.float32)
        if n > k:
            ok = hp[k:] & hp[:-k]
            d[k:] = np.where(ok[:, None], loc[k:] - loc[:-k], 0.0)
        traj.append(d)
    feats[:, blk["trajectory"]] = np.concatenate(traj, axis=1)
    feats[:, blk["presence"]] = np.stack([ap, bp, pose_ok], axis=1)
    feats[~valid] = 0.0
    if invariant:
        np.clip(feats, -CLIP_V2, CLIP_V2, out=feats)
    return feats, valid


class _V2:
    """The `sign-multimodal-v2` implementation interface `FeaturePipeline` expects."""

    DEFAULTS = DEFAULTS_V2
    validate = staticmethod(validate_v2)
    context = staticmethod(context)
    frame_features = staticmethod(frame_features_v2)


V2 = _V2()
