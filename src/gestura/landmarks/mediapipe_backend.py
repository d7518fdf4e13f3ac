"""MediaPipe Hands and Holistic (legacy `mp.solutions` of mediapipe 0.10.21) behind `LandmarkBackend`.

The only module in gestura that imports mediapipe. Both backends see frames in **selfie view**: with
`mirror=True` (the default) each frame is flipped left-right before detection, as a front camera preview shows
it. In that view MediaPipe Hands' handedness label names the person's own hand (MediaPipe assumes mirrored input),
so its "Left" goes to the `left_hand` slot unchanged, and x grows towards the person's right: a swipe to the
person's left moves towards smaller x, as in the shared presentation-streams and Kazuhito data. MediaPipe Pose,
and Holistic's hand slots that follow it, name body sides as on an unmirrored frame, so on a mirrored frame they
are swapped back (hand slots and every left_/right_ pose joint). With `mirror=False` frames are used as they come
and Hands' labels are swapped instead: either way `left_hand` is the person's left hand and only the x direction
differs. Checked on msl150 and the mediapipe samples; see docs/extraction.md.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import numpy as np

from gestura.capture.frame import Frame
from gestura.landmarks.backend import LandmarkFrame
from gestura.landmarks.skeleton import POSE_33

HAND_SLOTS = {"Left": "left_hand", "Right": "right_hand"}
OTHER_SLOT = {"left_hand": "right_hand", "right_hand": "left_hand"}
POSE_MIRROR = np.array([POSE_33.index(j.replace("left_", "@").replace("right_", "left_").replace("@", "right_"))
                        for j in POSE_33.joints])
"""Pose joint order with left and right exchanged (e.g. left_wrist <-> right_wrist)."""
CROPS = ((0.0, 0.4), (0.6, 1.0), (0.3, 0.7), (0.0, 0.6), (0.4, 1.0))
"""Vertical strips (fractions of the width) searched for hands the whole-frame detection missed."""
EDGE = 0.02
"""A hand found in a strip that comes this close to a cut edge (fraction of the width) is a cut-off duplicate."""


def _same_hand(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two (21, 3) detections are one hand: their joints lie on average closer than 8% of the larger
    hand's bounding-box diagonal (two thumbs up side by side differ by about 11%)."""
    size = max(float(np.linalg.norm(np.ptp(a[:, :2], axis=0))), float(np.linalg.norm(np.ptp(b[:, :2], axis=0))))
    return float(np.linalg.norm(a[:, :2] - b[:, :2], axis=1).mean()) < 0.08 * max(size, 1e-6)


def _to_array(landmarks: Any, visibility: bool = False) -> np.ndarray:
    """MediaPipe NormalizedLandmarkList -> (J, 3) or (J, 4) float32."""
    if visibility:
        return np.array([(p.x, p.y, p.z, p.visibility) for p in landmarks.landmark], dtype=np.float32)
    return np.array([(p.x, p.y, p.z) for p in landmarks.landmark], dtype=np.float32)


def _prepare(frame: Frame, mirror: bool) -> np.ndarray:
    rgb = frame.rgb[:, ::-1] if mirror else frame.rgb
    return np.ascontiguousarray(rgb)


class _Base:
    stream_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._solution: Any = None

    def reset(self) -> None:
        """Forget tracking state, so the next frame starts a new clip."""
        if self._solution is not None:
            self._solution.reset()

    def close(self) -> None:
        if self._solution is not None:
            self._solution.close()
            self._solution = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class MediaPipeHands(_Base):
    """Up to `max_hands` hands per frame -> `left_hand`/`right_hand` (21, 3) and their handedness scores.

    `static_image_mode=True` detects on every frame (images); False tracks between frames (video).
    Two detections with the same label keep the more confident one in its slot and put the other in the free
    slot with score `1 - p`. MediaPipe's palm detector merges hands that overlap (two thumbs up side by side),
    so with `search_crops` (default: on for images) a frame with fewer than `max_hands` hands is searched again
    in vertical strips, keeping hands that are not already found.
    """

    stream_names = ("left_hand", "right_hand")

    def __init__(self, *, max_hands: int = 2, static_image_mode: bool = False, model_complexity: int = 1,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 mirror: bool = True, search_crops: bool | None = None) -> None:
        import mediapipe as mp

        super().__init__()
        self.max_hands = max_hands
        self.mirror = mirror
        self._solution = mp.solutions.hands.Hands(
            static_image_mode=static_image_mode, max_num_hands=max_hands, model_complexity=model_complexity,
            min_detection_confidence=min_detection_confidence, min_tracking_confidence=min_tracking_confidence)
        self.search_crops = static_image_mode if search_crops is None else search_crops

    def _detect(self, rgb: np.ndarray, x0: int = 0, x1: int | None = None) -> list[tuple[float, str, np.ndarray]]:
        """(score, slot, (21, 3)) for the hands in columns [x0, x1) of `rgb`, in whole-image coordinates; hands
        touching a cut edge of the strip are dropped."""
        width = rgb.shape[1]
        x1 = width if x1 is None else x1
        crop = rgb if (x0, x1) == (0, width) else np.ascontiguousarray(rgb[:, x0:x1])
        result = self._solution.process(crop)
        found = []
        for lms, hd in zip(result.multi_hand_landmarks or [], result.multi_handedness or []):
            cls = hd.classification[0]
            slot = HAND_SLOTS.get(cls.label, "right_hand")
            if not self.mirror:
                slot = OTHER_SLOT[slot]
            arr = _to_array(lms)
            arr[:, 0] = (x0 + arr[:, 0] * (x1 - x0)) / width
            arr[:, 2] *= (x1 - x0) / width
            if (x0 > 0 and arr[:, 0].min() < x0 / width + EDGE) or (x1 < width and arr[:, 0].max() > x1 / width - EDGE):
                continue
            found.append((float(cls.score), slot, arr))
        return found

    def process(self, frame: Frame) -> LandmarkFrame:
        """Frame (H, W, 3) RGB -> hands in normalised coordinates of the (mirrored) image."""
        rgb = _prepare(frame, self.mirror)
        found = self._detect(rgb)
        if self.search_crops and len(found) < self.max_hands:
            width = rgb.shape[1]
            for a, b in CROPS:
                if len(found) >= self.max_hands:
                    break
                found += [h for h in self._detect(rgb, int(a * width), int(b * width))
                          if not any(_same_hand(h[2], g[2]) for g in found)][: self.max_hands - len(found)]
        streams: dict[str, np.ndarray | None] = {"left_hand": None, "right_hand": None}
        scores: dict[str, float] = {}
        for score, slot, arr in sorted(found, key=lambda x: -x[0]):
            if streams[slot] is None:
                streams[slot], scores[slot] = arr, score
            elif streams[OTHER_SLOT[slot]] is None:
                streams[OTHER_SLOT[slot]], scores[OTHER_SLOT[slot]] = arr, 1.0 - score
        return LandmarkFrame(streams=streams, handedness=scores, t_ms=frame.t_ms, size=frame.size)


class MediaPipeHolistic(_Base):
    """Pose (33, 4: x, y, z, visibility), face (468, 3) and both hands (21, 3) per frame.

    Holistic gives no handedness score: its hand slots follow the pose's wrists, so no `handedness` is reported.
    """

    stream_names = ("pose", "face", "left_hand", "right_hand")

    def __init__(self, *, static_image_mode: bool = False, model_complexity: int = 1,
                 min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 mirror: bool = True) -> None:
        import mediapipe as mp

        super().__init__()
        self.mirror = mirror
        self._solution = mp.solutions.holistic.Holistic(
            static_image_mode=static_image_mode, model_complexity=model_complexity, smooth_landmarks=True,
            refine_face_landmarks=False, min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence)

    def process(self, frame: Frame) -> LandmarkFrame:
        """Frame (H, W, 3) RGB -> pose, face and hands in normalised coordinates of the (mirrored) image."""
        r = self._solution.process(_prepare(frame, self.mirror))
        pose = None if r.pose_landmarks is None else _to_array(r.pose_landmarks, visibility=True)
        left = None if r.left_hand_landmarks is None else _to_array(r.left_hand_landmarks)
        right = None if r.right_hand_landmarks is None else _to_array(r.right_hand_landmarks)
        if self.mirror:
            left, right = right, left
            pose = None if pose is None else pose[POSE_MIRROR]
        streams: dict[str, np.ndarray | None] = {
            "pose": pose,
            "face": None if r.face_landmarks is None else _to_array(r.face_landmarks),
            "left_hand": left,
            "right_hand": right,
        }
        return LandmarkFrame(streams=streams, t_ms=frame.t_ms, size=frame.size)


def create_backend(*, holistic: bool = False, max_hands: int = 2, static_image_mode: bool = False,
                   mirror: bool = True) -> MediaPipeHands | MediaPipeHolistic:
    """The MediaPipe backend `gestura extract` uses: Holistic when `holistic`, else Hands."""
    if holistic:
        return MediaPipeHolistic(static_image_mode=static_image_mode, mirror=mirror)
    return MediaPipeHands(max_hands=max_hands, static_image_mode=static_image_mode, mirror=mirror)
