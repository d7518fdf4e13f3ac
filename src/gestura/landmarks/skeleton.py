"""The landmark topologies, defined once as data and imported everywhere.

Joint order and edges follow MediaPipe Hands (21), Pose (33) and Face Mesh (468). Edges are (child, parent)
pairs, so `seq[:, child] - seq[:, parent]` is a bone. Feature blocks, graph models and drawing code all read
these tables instead of keeping their own copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Skeleton:
    """A named joint set with its bone graph. `id` is a versioned, immutable string."""

    id: str
    joints: tuple[str, ...]
    edges: tuple[tuple[int, int], ...] = field(default=())

    @property
    def n_joints(self) -> int:
        return len(self.joints)

    def index(self, joint: str) -> int:
        """Index of a joint by name."""
        return self.joints.index(joint)


HAND_JOINTS = (
    "wrist",
    "thumb_cmc", "thumb_mcp", "thumb_ip", "thumb_tip",
    "index_finger_mcp", "index_finger_pip", "index_finger_dip", "index_finger_tip",
    "middle_finger_mcp", "middle_finger_pip", "middle_finger_dip", "middle_finger_tip",
    "ring_finger_mcp", "ring_finger_pip", "ring_finger_dip", "ring_finger_tip",
    "pinky_mcp", "pinky_pip", "pinky_dip", "pinky_tip",
)  # fmt: skip

HAND_21 = Skeleton(
    "mediapipe-hand-21",
    joints=HAND_JOINTS,
    edges=(
        (1, 0), (2, 1), (3, 2), (4, 3),
        (5, 0), (6, 5), (7, 6), (8, 7),
        (9, 0), (10, 9), (11, 10), (12, 11),
        (13, 0), (14, 13), (15, 14), (16, 15),
        (17, 0), (18, 17), (19, 18), (20, 19),
        (9, 5), (13, 9), (17, 13),
    ),
)  # fmt: skip

FINGERTIPS = (4, 8, 12, 16, 20)
"""Thumb, index, middle, ring, pinky tips."""
HAND_BONE_PALM = (HAND_21.index("wrist"), HAND_21.index("middle_finger_mcp"))
"""The palm-length reference bone used for scale normalisation."""

POSE_JOINTS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

POSE_33 = Skeleton(
    "mediapipe-pose-33",
    joints=POSE_JOINTS,
    edges=(
        (1, 0), (2, 1), (3, 2), (7, 3), (4, 0), (5, 4), (6, 5), (8, 6), (10, 9),
        (11, 12), (13, 11), (15, 13), (17, 15), (19, 15), (21, 15), (19, 17),
        (14, 12), (16, 14), (18, 16), (20, 16), (22, 16), (20, 18),
        (23, 11), (24, 12), (24, 23), (25, 23), (27, 25), (29, 27), (31, 27), (31, 29),
        (26, 24), (28, 26), (30, 28), (32, 28), (32, 30),
    ),
)  # fmt: skip

UPPER_BODY_POSE = tuple(range(0, 25))
"""Pose joints above the knees (head, shoulders, arms, hands, hips)."""

FACE_468 = Skeleton("mediapipe-face-468", joints=tuple(f"face_{i}" for i in range(468)))

STREAM_SKELETONS = {"pose": POSE_33, "face": FACE_468, "left_hand": HAND_21, "right_hand": HAND_21}
"""The skeleton of each named landmark stream of a `LandmarkSequence`."""


def combine(*parts: tuple[str, Skeleton, tuple[int, ...] | None], id: str) -> Skeleton:
    """Join several skeletons (optionally a subset of joints each) into one graph, re-indexing edges.

    `parts` are (prefix, skeleton, kept joint indices or None for all). `extra_edges` between parts are not
    added here; graph models that need them (wrist to pose wrist) add them by name.
    """
    joints: list[str] = []
    edges: list[tuple[int, int]] = []
    for prefix, skel, keep in parts:
        kept = tuple(range(skel.n_joints)) if keep is None else keep
        remap = {old: len(joints) + new for new, old in enumerate(kept)}
        joints.extend(f"{prefix}{skel.joints[i]}" for i in kept)
        edges.extend((remap[c], remap[p]) for c, p in skel.edges if c in remap and p in remap)
    return Skeleton(id, tuple(joints), tuple(edges))


TWO_HANDS_42 = combine(("left_", HAND_21, None), ("right_", HAND_21, None), id="mediapipe-two-hands-42")
UPPER_BODY_HANDS_67 = combine(
    ("pose_", POSE_33, UPPER_BODY_POSE), ("left_", HAND_21, None), ("right_", HAND_21, None),
    id="mediapipe-upper-body-hands-67",
)  # fmt: skip

SKELETONS = {s.id: s for s in (HAND_21, POSE_33, FACE_468, TWO_HANDS_42, UPPER_BODY_HANDS_67)}
