"""The streaming route: `WebSocket /v1/stream`, landmark or JPEG frames in, one `FrameOut` reply per frame.

Each connection is a `StreamSession` with its own recognizer stream state (buffer and `ActivationController`)
and, for JPEG frames, its own MediaPipe hand tracker; one bad frame is answered with an error message, never the
end of the connection.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from gestura.errors import GesturaError, InputError
from gestura.serving.context import ServiceContext, key_ok
from gestura.serving.errors import one_line
from gestura.serving.metrics import Metrics
from gestura.serving.predictor import ServicePredictor, StreamResult
from gestura.serving.schemas import FrameIn, FrameOut, ServiceLimits

if TYPE_CHECKING:
    from gestura.landmarks.backend import LandmarkFrame

log = logging.getLogger("gestura.serving")
router = APIRouter()


@router.websocket("/v1/stream")
async def stream(ws: WebSocket) -> None:
    """Frames in (JSON landmarks, JSON base64 JPEG, or binary JPEG), one `FrameOut` JSON reply per frame."""
    ctx: ServiceContext = ws.app.state.service
    limits, metrics = ctx.limits, ctx.metrics
    if ctx.api_key is not None and not key_ok(ctx.api_key, ws.headers.get("x-api-key") or
                                              ws.query_params.get("api_key")):
        await ws.close(code=1008, reason="missing or wrong API key")
        return
    if ctx.open_streams >= limits.max_ws_connections:
        await ws.close(code=1013, reason="too many streams; try again later")
        return
    await ws.accept()
    ctx.open_streams += 1
    metrics.add("gestura_ws_connections", "Open WebSocket streams.", 1)
    session = StreamSession(ctx.predictor, limits, metrics)
    try:
        await session.run(ws)
    except WebSocketDisconnect:
        pass
    finally:
        ctx.open_streams -= 1
        metrics.add("gestura_ws_connections", "Open WebSocket streams.", -1)
        await asyncio.to_thread(session.close)


# ---------------------------------------------------------------------------------------------- one connection
class StreamSession:
    """One WebSocket connection: its own recognizer stream state and (for JPEG frames) its own hand tracker."""

    def __init__(self, predictor: ServicePredictor, limits: ServiceLimits, metrics: Metrics) -> None:
        self.predictor = predictor
        self.limits = limits
        self.metrics = metrics
        self.state = predictor.open_stream()
        self.tracker: Any = None
        self.last_t = -1
        self.t0 = time.monotonic()

    async def run(self, ws: WebSocket) -> None:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            raw_text, raw_bytes = msg.get("text"), msg.get("bytes")
            size = len(raw_text.encode()) if raw_text is not None else len(raw_bytes or b"")
            if size > self.limits.max_ws_message_bytes:
                await ws.send_json({"type": "error", "detail": (
                    f"message of {size} bytes exceeds the {self.limits.max_ws_message_bytes}-byte limit")})
                await ws.close(code=1009)
                return
            t0 = time.perf_counter()
            try:
                reply = await self._handle(raw_text, raw_bytes)
            except Exception as err:  # one bad frame is answered, never the end of the connection or process
                if isinstance(err, GesturaError):
                    detail = str(err)
                else:
                    log.exception("stream frame failed")
                    detail = f"internal error ({type(err).__name__})"
                self.metrics.inc("gestura_ws_errors_total", "Rejected WebSocket frames.")
                await ws.send_json({"type": "error", "detail": detail, "seq": _seq_of(raw_text)})
                continue
            reply.server_ms = (time.perf_counter() - t0) * 1000
            self.metrics.inc("gestura_ws_frames_total", "Frames received over WebSocket streams.")
            self.metrics.observe("gestura_ws_frame_seconds", "Server time per streamed frame.",
                                 reply.server_ms / 1000)
            if reply.prediction is not None:
                self.metrics.inc("gestura_predictions_total", "Emitted gestures by label and route.",
                                 label=reply.prediction.label, route="stream")
            await ws.send_text(reply.model_dump_json(exclude_none=True))

    async def _handle(self, text: str | None, data: bytes | None) -> FrameOut:
        if data is not None:
            return await self._jpeg(data, self._now(), None)
        try:
            frame = FrameIn.model_validate_json(text or "")
        except ValidationError as err:
            raise InputError(one_line(err.errors())) from None
        if frame.type == "reset":
            await asyncio.to_thread(self.state.reset)
            self.last_t = -1
            return FrameOut(seq=frame.seq, t_ms=max(self.last_t, 0))
        t_ms = frame.t_ms if frame.t_ms is not None else self._now()
        if t_ms <= self.last_t:
            raise InputError(f"t_ms {t_ms} does not increase (last was {self.last_t})")
        if frame.type == "jpeg":
            if not frame.data:
                raise InputError("jpeg frame without data")
            try:
                jpeg = base64.b64decode(frame.data, validate=True)
            except (binascii.Error, ValueError):
                raise InputError("data is not valid base64") from None
            return await self._jpeg(jpeg, t_ms, frame.seq)
        streams = frame_arrays(frame)
        await self._gap(t_ms)
        self.last_t = t_ms
        result = await asyncio.to_thread(self.state.push_landmarks, streams, t_ms)
        return _frame_out(result, frame.seq, t_ms)

    async def _jpeg(self, data: bytes, t_ms: int, seq: int | None) -> FrameOut:
        if t_ms <= self.last_t:
            t_ms = self.last_t + 1
        rgb = _decode_jpeg(data, self.limits.max_jpeg_pixels)
        await self._gap(t_ms)
        self.last_t = t_ms
        if self.tracker is None:
            from gestura.landmarks.mediapipe_backend import MediaPipeHands

            self.tracker = await asyncio.to_thread(MediaPipeHands, max_hands=1, mirror=True, model_complexity=0)
        lf = await asyncio.to_thread(self._track, rgb, t_ms)
        result = await asyncio.to_thread(self.state.push_frame, lf)
        out = _frame_out(result, seq, t_ms)
        out.landmarks = {k: np.asarray(v).round(4).tolist() for k, v in lf.streams.items() if v is not None}
        return out

    async def _gap(self, t_ms: int) -> None:
        """After a pause longer than `max_stream_gap_ms` the stream starts afresh, so one frame never makes the
        recognizer fill minutes (or, from a hostile client, days) of resampled frames."""
        if self.last_t >= 0 and t_ms - self.last_t > self.limits.max_stream_gap_ms:
            await asyncio.to_thread(self.state.reset)

    def _track(self, rgb: np.ndarray, t_ms: int) -> LandmarkFrame:
        from gestura.capture.frame import Frame

        return self.tracker.process(Frame(t_ms=t_ms, rgb=rgb))

    def _now(self) -> int:
        return int((time.monotonic() - self.t0) * 1000)

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.close()


def frame_arrays(frame: FrameIn) -> dict[str, np.ndarray]:
    """The `(J, C)` arrays of a streamed landmarks frame; ragged points are one `InputError` line."""
    out: dict[str, np.ndarray] = {}
    for k, v in (frame.streams or {}).items():
        try:
            out[k] = np.asarray(v, dtype=np.float32)
        except ValueError:
            raise InputError(f"streams.{k}: ragged points (every point needs the same number of values)") from None
    return out


def _frame_out(result: StreamResult, seq: int | None, t_ms: int) -> FrameOut:
    return FrameOut(seq=seq, t_ms=t_ms, prediction=result.emitted, command=result.command, top=result.top,
                    hand=result.hand, pointer=result.pointer)


def _seq_of(text: str | None) -> int | None:
    try:
        seq = json.loads(text or "").get("seq")
        return seq if isinstance(seq, int) else None
    except (ValueError, AttributeError):
        return None


def _decode_jpeg(data: bytes, max_pixels: int) -> np.ndarray:
    """JPEG/PNG bytes -> (H, W, 3) uint8 RGB; the size is read from the header before decoding."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            w, h = img.size
            if w * h > max_pixels:
                raise InputError(f"image of {w}x{h} pixels exceeds the {max_pixels}-pixel limit")
            if img.format not in ("JPEG", "PNG", "WEBP"):
                raise InputError(f"image format {img.format} not accepted (send JPEG)")
            return np.asarray(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as err:
        raise InputError(f"not a decodable JPEG frame ({type(err).__name__})") from None
