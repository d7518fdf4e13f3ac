"""Feature schema descriptions: a versioned id, the frame width and the named column blocks.

A schema id is immutable: a changed layout gets a new id (`-v2`), old ids keep loading. The pure-numpy
implementations live in one module per schema; `gestura.features.pipeline.FeaturePipeline` ties them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gestura.errors import ConfigError


@dataclass(frozen=True)
class FeatureSchema:
    """`id`, frame width `dim`, `blocks` {name: column slice}, a one-paragraph `description` and the landmark
    `streams` it reads (what a client must send)."""

    id: str
    dim: int
    blocks: dict[str, slice] = field(default_factory=dict)
    description: str = ""
    streams: tuple[str, ...] = ("left_hand", "right_hand")

    def block(self, name: str) -> slice:
        """Column slice of a named block."""
        try:
            return self.blocks[name]
        except KeyError:
            raise ConfigError(f"schema {self.id!r} has no block {name!r}; blocks: {list(self.blocks)}") from None


def _blocks(*sizes: tuple[str, int], start: int = 0) -> dict[str, slice]:
    out: dict[str, slice] = {}
    for name, n in sizes:
        out[name] = slice(start, start + n)
        start += n
    return out


HAND_V1 = FeatureSchema(
    "feature-schema-v1", 147,
    _blocks(("position", 63), ("fingertip_spread", 5), ("wrist_trajectory", 3), ("velocity", 63),
            ("joint_angles", 10), ("wrist_vel_raw", 3)),
    "One hand: wrist-relative palm-scaled positions, fingertip spread, window-relative wrist path, "
    "wrist-relative landmark velocities, MCP/PIP flexion angles, camera-normalised wrist velocity.",
)
HAND_V2 = FeatureSchema(
    "feature-schema-v2", 92,
    _blocks(("shape", 63), ("fingertip_spread", 5), ("joint_angles", 10), ("openness", 1), ("tip_path", 2),
            ("centre_path", 2), ("turn", 1), ("depth_path", 1), ("roll", 1), ("tip_velocity", 2),
            ("centre_velocity", 2), ("turn_rate", 1), ("roll_rate", 1)),
    "One hand, motion that does not depend on style: the upright hand shape, the fingertips' and the palm "
    "centre's window-relative paths in palm lengths, the in-plane turn and the palm's roll as separate channels, "
    "their velocities.",
)
HAND_V3 = FeatureSchema(
    "feature-schema-v3", 225,
    {**HAND_V1.blocks, **_blocks(("shape_change_position", 63), ("shape_change_spread", 5),
                                 ("shape_change_angles", 10), start=HAND_V1.dim)},
    "One hand: feature-schema-v1's columns, plus the hand's shape (positions, fingertip spread, flexion) relative "
    "to the window's first frame as separate blocks, so a stranger's resting hand reads as no change while the "
    "absolute shape stays.",
)
HOLISTIC_RAW_V1 = FeatureSchema(
    "holistic-raw-v1", 1662,
    _blocks(("pose", 132), ("face", 1404), ("left_hand", 63), ("right_hand", 63)),
    "The MP_Data frame vector: pose 33x4, face 468x3, left hand 21x3, right hand 21x3; zeros where missing.",
    ("pose", "face", "left_hand", "right_hand"),
)
SIGN_MULTIMODAL_V1 = FeatureSchema(
    "sign-multimodal-v1", 534,
    _blocks(("pose", 75), ("hand_shape", 126), ("hand_location", 6), ("angle_cosines", 30),
            ("velocity", 132), ("acceleration", 132), ("shape_descriptors", 24), ("trajectory", 6),
            ("presence", 3)),
    "Sign language: both hands (canonically ordered per frame) and upper-body pose in a shoulder-centred, "
    "shoulder-width-scaled body frame, hand shapes in palm units, joint-angle cosines, velocity, acceleration, "
    "hand-shape descriptors and a short trajectory summary.",
    ("pose", "left_hand", "right_hand"),
)
SIGN_MULTIMODAL_V2 = FeatureSchema(
    "sign-multimodal-v2", 534, dict(SIGN_MULTIMODAL_V1.blocks),
    "The columns of sign-multimodal-v1, made signer-invariant: left-dominant signers mirrored (dominant hand in "
    "slot a), hands assigned to the body's sides by the nearer pose wrist, shoulders levelled (hand shapes "
    "relative to the body), pose kept for the nose, shoulders and arms only without depth, values clipped to ±10.",
    ("pose", "left_hand", "right_hand"),
)
FINGERTIP_V1 = FeatureSchema(
    "fingertip-trajectory-v1", 7,
    _blocks(("position", 2), ("velocity", 2), ("speed", 1), ("direction", 2)),
    "Index-fingertip trajectory (Kazuhito point history) in image-height units: window-relative position, "
    "velocity, speed and direction of motion.",
)

SCHEMAS: dict[str, FeatureSchema] = {s.id: s for s in (HAND_V1, HAND_V2, HAND_V3, HOLISTIC_RAW_V1, SIGN_MULTIMODAL_V1,
                                                       SIGN_MULTIMODAL_V2, FINGERTIP_V1)}


_EXTENSIONS = {"joints-": ("gestura.features.joints", "JOINT_FEATURE_SCHEMAS")}
"""Id prefix -> (module, dict attribute) of schemas defined elsewhere, imported only when asked for."""


def get_schema(schema_id: str) -> FeatureSchema:
    """The registered schema with this id; unknown ids are a one-line `ConfigError`."""
    if schema_id in SCHEMAS:
        return SCHEMAS[schema_id]
    for prefix, (module, attr) in _EXTENSIONS.items():
        if str(schema_id).startswith(prefix):
            import importlib

            found = getattr(importlib.import_module(module), attr).get(schema_id)
            if found is not None:
                return found
    known = list(SCHEMAS) + ["joints-hand-v1", "joints-two-hands-v1", "joints-two-hands-body-v1", "joints-upper-body-v1"]
    raise ConfigError(f"unknown feature schema {schema_id!r}; choose from: {', '.join(known)}")
