"""Pydantic request/response models of the gestura service (HTTP and WebSocket).

Landmark arrays travel as nested lists: a stream is `(T, J, C)` for a sequence and `(J, C)` for one streamed
frame. Shapes, stream names and finite values are checked here or by `LandmarkSequence.from_arrays`, so a bad
payload is a 4xx with one line naming the field, never a crash.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, field_validator

from gestura.limits import MAX_VIDEO_FRAMES


StreamName = Literal["left_hand", "right_hand", "pose", "face", "index_tip"]
Point = Annotated[list[StrictFloat], Field(min_length=2, max_length=4)]
"""One landmark `[x, y, z(, visibility)]`: JSON numbers only (`"0.5"` and `true` are refused, not coerced)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServiceLimits(_Strict):
    """Bounds on what one client may send; everything above them is a 413/422, never an allocation."""

    max_body_bytes: int = Field(4 * 1024 * 1024, gt=0, description="JSON request body cap (bytes).")
    max_frames: int = Field(1800, gt=0, description="Frames per landmark sequence (POST /v1/predict).")
    max_sequence_seconds: float = Field(120.0, gt=0, description=(
        "Time span t[-1] - t[0] of one landmark sequence (POST /v1/predict); resampling allocates span x rate."))
    max_stream_gap_ms: int = Field(5000, gt=0, description=(
        "A pause longer than this between two streamed frames starts that stream afresh (bounded work per frame)."))
    max_video_bytes: int = Field(32 * 1024 * 1024, gt=0, description="Uploaded video size cap (bytes).")
    max_video_seconds: float = Field(20.0, gt=0, description="Uploaded video duration cap (seconds).")
    max_video_frames: int = Field(MAX_VIDEO_FRAMES, gt=0, description=(
        "Frames decoded from one upload, counted whatever the container claims."))
    max_video_pixels: int = Field(1920 * 1080, gt=0, description="Uploaded video frame size cap (W*H).")
    max_ws_message_bytes: int = Field(1024 * 1024, gt=0, description="One WebSocket message cap (bytes).")
    max_jpeg_pixels: int = Field(1280 * 720, gt=0, description="One streamed JPEG frame cap (W*H).")
    max_ws_connections: int = Field(256, gt=0, description="Concurrent WebSocket connections.")
    max_video_jobs: int = Field(2, gt=0, description="Video extractions running at once; more wait.")


class SequenceIn(_Strict):
    """A landmark sequence: named streams `(T, J, C)`, optional timestamps (seconds) and presence."""

    streams: dict[StreamName, list[list[Point]]] = Field(
        ..., description="Stream name -> T frames of J points [x, y, z(, visibility)].", min_length=1)
    fps: StrictFloat = Field(30.0, gt=0, le=1000)
    t: list[StrictFloat] | None = Field(None, description="T timestamps in seconds, strictly increasing.")
    present: dict[StreamName, list[bool]] | None = Field(
        None, description="Per-stream (T,) presence; default: a frame of all zeros is absent.")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"fps": 30, "streams": {"right_hand": [[[0.5, 0.5, 0.0]] * 21] * 3}}]},
    )

    @field_validator("t")
    @classmethod
    def _finite_t(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and not all(math.isfinite(x) for x in v):
            raise ValueError("timestamps must be finite")
        return v


class PredictionOut(_Strict):
    """One recognised gesture: the top label, its score, every class score and the command it maps to."""

    label: str
    score: float
    scores: dict[str, float]
    t_ms: int
    command: str | None = None


class PredictResponse(_Strict):
    """Answer of `POST /v1/predict` and `POST /v1/predict/video`."""

    prediction: PredictionOut | None = Field(
        None, description="None when no frame held the landmarks the model needs.")
    n_frames: int
    frames_with_hand: int
    latency_ms: float
    model: str


class ErrorOut(_Strict):
    """Every 4xx/5xx body: one line saying what was wrong."""

    detail: str


class HealthOut(_Strict):
    """`GET /healthz`."""

    status: Literal["ok"]
    version: str
    model: str
    engine: str
    labels: list[str]
    window: int
    streams: list[str]


class FrameIn(_Strict):
    """One streamed frame over `/v1/stream` (JSON text message).

    `type="landmarks"`: `streams` holds `(J, C)` per detected stream (missing stream = not detected).
    `type="jpeg"`: `data` is a base64 JPEG; the server runs hand landmark extraction on it.
    Binary WebSocket messages are JPEG frames with `t_ms` = arrival time.
    """

    type: Literal["landmarks", "jpeg", "reset"] = "landmarks"
    t_ms: int | None = Field(None, ge=0, le=10**13, description="Capture time; must increase. Default: arrival time.")
    streams: dict[StreamName, list[Point]] | None = None
    data: str | None = Field(None, description="base64 JPEG for type=jpeg.")
    seq: int | None = Field(None, description="Echoed back so clients can match replies to frames.")


class FrameOut(_Strict):
    """The reply to every streamed frame: exactly one per frame, in order."""

    type: Literal["frame"] = "frame"
    seq: int | None = None
    t_ms: int
    prediction: PredictionOut | None = Field(
        None, description="Set when the decision logic emitted a gesture on this frame.")
    command: str | None = Field(None, description="The command the emitted gesture maps to (if any).")
    top: PredictionOut | None = Field(None, description="Raw top class of the current window (not debounced).")
    landmarks: dict[str, list[list[float]]] | None = Field(
        None, description="For JPEG frames: the detected (J, 3) streams in image coordinates [0, 1].")
    pointer: dict[str, Any] | None = Field(None, description="Laser pointer / pen event (x, y in [0, 1]).")
    hand: bool = Field(False, description="A hand was present on this frame.")
    server_ms: float = Field(0.0, description="Server processing time of this frame.")
