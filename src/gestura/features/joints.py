"""Joint-layout feature schemas for graph models: `(T, J * 3)` frames, joint-major, one skeleton each.

The graph models (`stgcn`, `sca_stgcn`) read feature `j * 3 + c` as coordinate c of joint j of the named skeleton.
- `joints-hand-v1` (`mediapipe-hand-21`, 63): the larger (nearer) present hand per frame, wrist at 0, palm length 1.
- `joints-two-hands-v1` (`mediapipe-two-hands-42`, 126): both hands in one frame centred on the mean present wrist
  and scaled by the mean palm length; slots ordered by wrist x per frame, so Holistic slot swaps do not matter.
- `joints-upper-body-v1` (`mediapipe-upper-body-hands-67`, 201): pose joints 0-24 and both hands, centred on the
  shoulder midpoint and scaled by shoulder width; each hand is assigned to the nearer pose wrist per frame (slot
  swaps repaired), and a missing hand sits on its pose wrist.
- `joints-two-hands-body-v1` (`mediapipe-two-hands-42`, 126): both hands, assigned to pose wrists as in
  `joints-upper-body-v1`; each wrist joint holds the hand's location in the body frame, the other 20 joints the
  hand shape relative to the wrist in palm lengths (a missing hand: wrist on its pose wrist, fingers 0). Location
  and shape both at unit scale, at 42/67 of the graph cost. Values are clipped to ±10.
Missing data never becomes NaN: `valid (T,)` marks frames with the needed landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gestura.errors import ConfigError, SchemaError
from gestura.features.schema import FeatureSchema
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.skeleton import HAND_BONE_PALM, HAND_21, TWO_HANDS_42, UPPER_BODY_HANDS_67, UPPER_BODY_POSE


@dataclass(frozen=True)
class JointSchema:
    id: str
    skeleton: str
    n_joints: int
    streams: tuple[str, ...] = ("left_hand", "right_hand")
    """The landmark streams the schema reads (the body schemas place the hands by the pose)."""
    channels: int = 3

    @property
    def dim(self) -> int:
        return self.n_joints * self.channels


WITH_POSE = ("pose", "left_hand", "right_hand")
JOINT_SCHEMAS = {
    s.id: s
    for s in (
        JointSchema("joints-hand-v1", HAND_21.id, HAND_21.n_joints),
        JointSchema("joints-two-hands-v1", TWO_HANDS_42.id, TWO_HANDS_42.n_joints),
        JointSchema("joints-upper-body-v1", UPPER_BODY_HANDS_67.id, UPPER_BODY_HANDS_67.n_joints, WITH_POSE),
        JointSchema("joints-two-hands-body-v1", TWO_HANDS_42.id, TWO_HANDS_42.n_joints, WITH_POSE),
    )
}

_L_WRIST, _R_WRIST, _L_SH, _R_SH = 15, 16, 11, 12
CLIP = 10.0


def _hands(seq: LandmarkSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = len(seq.t)
    zeros = np.zeros((t, 21, 3), np.float32)
    a = seq.streams.get("left_hand", zeros)[..., :3]
    b = seq.streams.get("right_hand", zeros)[..., :3]
    pa = seq.present.get("left_hand", np.zeros(t, bool)).astype(bool)
    pb = seq.present.get("right_hand", np.zeros(t, bool)).astype(bool)
    return a, b, pa, pb


def _palm(h: np.ndarray) -> np.ndarray:
    return np.linalg.norm(h[:, HAND_BONE_PALM[1], :2] - h[:, HAND_BONE_PALM[0], :2], axis=-1)


def _safe(scale: np.ndarray) -> np.ndarray:
    return np.where(scale > 1e-6, scale, 1.0)


def joint_features(seq: LandmarkSequence, schema: str) -> tuple[np.ndarray, np.ndarray]:
    """A sequence in a joint-layout schema: `-> (feats (T, J * 3) float32, valid (T,) bool)`."""
    if schema not in JOINT_SCHEMAS:
        raise SchemaError(f"unknown joint schema {schema!r}; choose from {sorted(JOINT_SCHEMAS)}")
    a, b, pa, pb = _hands(seq)
    if schema == "joints-hand-v1":
        use_b = pb & (~pa | (_palm(b) >= _palm(a)))
        h = np.where(use_b[:, None, None], b, a)
        out = (h - h[:, :1]) / _safe(_palm(h))[:, None, None]
        valid = pa | pb
    elif schema == "joints-two-hands-v1":
        swap = pa & pb & (a[:, 0, 0] > b[:, 0, 0]) | (~pa & pb)
        h0 = np.where(swap[:, None, None], b, a)
        h1 = np.where(swap[:, None, None], a, b)
        p0, p1 = np.where(swap, pb, pa), np.where(swap, pa, pb)
        n = np.maximum(p0.astype(np.float32) + p1, 1.0)
        centre = (h0[:, 0] * p0[:, None] + h1[:, 0] * p1[:, None]) / n[:, None]
        scale = _safe((_palm(h0) * p0 + _palm(h1) * p1) / n)
        h0 = np.where(p0[:, None, None], (h0 - centre[:, None]) / scale[:, None, None], 0.0)
        h1 = np.where(p1[:, None, None], (h1 - centre[:, None]) / scale[:, None, None], 0.0)
        out = np.concatenate([h0, h1], axis=1)
        valid = pa | pb
    else:
        if "pose" not in seq.streams:
            raise SchemaError(f"{seq.video_id or seq.source}: {schema} needs a pose stream")
        pose = seq.streams["pose"][:, list(UPPER_BODY_POSE), :3]
        pp = seq.present.get("pose", np.ones(len(pose), bool)).astype(bool)
        lw, rw = pose[:, _L_WRIST, :2], pose[:, _R_WRIST, :2]

        def dist(h: np.ndarray, w: np.ndarray, p: np.ndarray) -> np.ndarray:
            return np.where(p, np.linalg.norm(h[:, 0, :2] - w, axis=-1), 0.0)

        keep = dist(a, lw, pa) + dist(b, rw, pb)
        swapped = dist(a, rw, pa) + dist(b, lw, pb)
        swap = pp & (swapped < keep)
        left = np.where(swap[:, None, None], b, a)
        right = np.where(swap[:, None, None], a, b)
        pl, pr = np.where(swap, pb, pa), np.where(swap, pa, pb)
        left = np.where(pl[:, None, None], left, pose[:, None, _L_WRIST])
        right = np.where(pr[:, None, None], right, pose[:, None, _R_WRIST])
        centre = (pose[:, _L_SH] + pose[:, _R_SH]) / 2
        scale = _safe(np.linalg.norm(pose[:, _L_SH, :2] - pose[:, _R_SH, :2], axis=-1))
        allj = np.concatenate([pose, left, right], axis=1)
        out = (allj - centre[:, None]) / scale[:, None, None]
        valid = pp
        if schema == "joints-two-hands-body-v1":
            out = out[:, len(UPPER_BODY_POSE):]
            for off, h, present in ((0, left, pl), (21, right, pr)):
                shape = (h[:, 1:] - h[:, :1]) / _safe(_palm(h))[:, None, None]
                out[:, off + 1:off + 21] = np.where(present[:, None, None], shape, 0.0)
            out = np.clip(out, -CLIP, CLIP)
    out = np.where(valid[:, None, None], out, 0.0)
    return out.reshape(len(out), -1).astype(np.float32), valid.astype(bool)


JOINT_FEATURE_SCHEMAS = {
    js.id: FeatureSchema(js.id, js.dim, {"joints": slice(0, js.dim)},
                         f"Joint-major (x, y, z) of skeleton {js.skeleton} for graph models (see gestura.features.joints).",
                         js.streams)
    for js in JOINT_SCHEMAS.values()
}
"""`FeatureSchema` entries for `gestura.features.schema.SCHEMAS`."""


class JointSchemaImpl:
    """The per-schema implementation interface `FeaturePipeline` expects (DEFAULTS, validate, context,
    frame_features), bound to one joint schema id; no parameters, no temporal context."""

    DEFAULTS: dict[str, object] = {}

    def __init__(self, schema: str) -> None:
        self.schema = schema

    def validate(self, params: dict[str, object]) -> None:
        if params:
            raise ConfigError(f"feature schema {self.schema!r} takes no parameters, got {sorted(params)}")

    def context(self, params: dict[str, object]) -> int:
        return 0

    def frame_features(self, seq: LandmarkSequence, **params: object) -> tuple[np.ndarray, np.ndarray]:
        return joint_features(seq, self.schema)


HAND = JointSchemaImpl("joints-hand-v1")
TWO_HANDS = JointSchemaImpl("joints-two-hands-v1")
UPPER_BODY = JointSchemaImpl("joints-upper-body-v1")
TWO_HANDS_BODY = JointSchemaImpl("joints-two-hands-body-v1")
