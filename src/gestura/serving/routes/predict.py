"""Predict routes: one landmark sequence as JSON, or a video upload whose landmarks MediaPipe extracts."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile

from gestura.errors import InputError
from gestura.serving.body_limit import VIDEO_PATH
from gestura.serving.context import ServiceContext, require_key, service_context
from gestura.serving.errors import ERROR_RESPONSES
from gestura.serving.metrics import Metrics
from gestura.serving.schemas import PredictResponse, SequenceIn
from gestura.serving.video import extract_video

if TYPE_CHECKING:
    from gestura.landmarks.sequence import LandmarkSequence

router = APIRouter(tags=["predict"], dependencies=[Depends(require_key)], responses=ERROR_RESPONSES)
Context = Annotated[ServiceContext, Depends(service_context)]


@router.post("/v1/predict", response_model=PredictResponse)
async def predict(body: SequenceIn, ctx: Context) -> PredictResponse:
    """Classify one landmark sequence (`streams`: name -> `(T, J, C)` nested lists)."""
    limits = ctx.limits
    n = max(len(v) for v in body.streams.values())
    if n > limits.max_frames:
        raise HTTPException(status_code=413, detail=f"{n} frames exceed the {limits.max_frames}-frame limit")
    seq = sequence_from_body(body)
    if (span := float(seq.t[-1] - seq.t[0])) > limits.max_sequence_seconds:
        raise HTTPException(status_code=413, detail=(
            f"timestamps span {span:.3g} s, over the {limits.max_sequence_seconds:g} s limit"))
    t0 = time.perf_counter()
    pred = await asyncio.to_thread(ctx.predictor.predict, seq)
    dt = time.perf_counter() - t0
    count_prediction(ctx.metrics, pred, "predict")
    return PredictResponse(prediction=pred, n_frames=seq.n_frames, frames_with_hand=int(seq.any_hand_present()
                           .sum()), latency_ms=dt * 1000, model=ctx.predictor.name)


@router.post(VIDEO_PATH, response_model=PredictResponse)
async def predict_video(request: Request, ctx: Context, video: UploadFile = File(
        ..., description="A video file (mp4, webm, avi...).")) -> PredictResponse:
    """Extract hand landmarks from an uploaded video with MediaPipe, then classify the clip."""
    limits = ctx.limits
    with tempfile.TemporaryDirectory(prefix="gestura-upload-") as tmp:
        path = Path(tmp) / "upload.video"  # the client's filename is never used as a path
        size = 0
        with open(path, "wb") as f:
            while chunk := await video.read(1024 * 1024):
                size += len(chunk)
                if size > limits.max_video_bytes:
                    raise HTTPException(status_code=413, detail=(
                        f"video upload exceeds the {limits.max_video_bytes}-byte limit"))
                f.write(chunk)
        if size == 0:
            raise HTTPException(status_code=422, detail="video upload is empty")
        t0 = time.perf_counter()
        gone = request.scope.get("state", {}).get("client_gone")

        async def disconnected() -> bool:
            return bool(gone is not None and gone.is_set())

        seq = await ctx.video_pool.run_cancellable(extract_video, path, limits, disconnected)
        pred = await asyncio.to_thread(ctx.predictor.predict, seq)
        dt = time.perf_counter() - t0
    count_prediction(ctx.metrics, pred, "video")
    return PredictResponse(prediction=pred, n_frames=seq.n_frames,
                           frames_with_hand=int(seq.any_hand_present().sum()), latency_ms=dt * 1000,
                           model=ctx.predictor.name)


def sequence_from_body(body: SequenceIn) -> LandmarkSequence:
    """The request body -> a `LandmarkSequence`; ragged lists and `present` that does not fit are one line."""
    from gestura.landmarks.sequence import LandmarkSequence

    try:
        streams: dict[str, np.ndarray] = {str(k): np.asarray(v, dtype=np.float32) for k, v in body.streams.items()}
    except ValueError:
        raise InputError("streams: ragged nested lists (every frame of a stream needs the same J x C)") from None
    present: dict[str, np.ndarray] | None = None
    if body.present is not None:
        missing = set(body.streams) - set(body.present)
        if missing:
            raise InputError(f"present: missing stream(s) {sorted(missing)}")
        present = {k: np.asarray(body.present[k], dtype=bool) for k in body.streams}
        for k, p in present.items():
            if p.shape[0] != streams[k].shape[0]:
                raise InputError(f"present.{k}: {p.shape[0]} values for {streams[k].shape[0]} frames")
    t = None if body.t is None else np.asarray(body.t, dtype=np.float64)
    return LandmarkSequence.from_arrays(streams, body.fps, t=t, present=present, source="request")


def count_prediction(metrics: Metrics, pred: Any, route: str) -> None:
    """Count one emitted gesture (or "none") for `route` in the Prometheus metrics."""
    metrics.inc("gestura_predictions_total", "Emitted gestures by label and route.",
                label=pred.label if pred is not None else "none", route=route)
