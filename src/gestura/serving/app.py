"""The gestura service: `create_app(artifact or Recognizer) -> FastAPI` (HTTP, WebSocket, browser demo).

Endpoints: `POST /v1/predict` (landmark sequence JSON), `POST /v1/predict/video` (multipart upload, size and
duration capped, landmarks extracted with MediaPipe), `WebSocket /v1/stream` (landmark or JPEG frames in, one
reply per frame with the prediction and command; each connection has its own streaming buffer and
`ActivationController`), `GET /v1/gestures` (what the page lists), `GET /healthz`, `GET /metrics` (Prometheus
text), `/docs` and `/redoc` (Swagger UI / ReDoc from assets bundled by `fastapi-offline`, so they work offline)
and the browser demo at `/` with the web presenter under `/presenter`.

Safety: every body and message has a size cap (`ServiceLimits`); payloads are validated by pydantic and
`LandmarkSequence`; library errors become 4xx with one line; anything unexpected becomes a 500 for that request
only. No endpoint takes a file path: uploads go to a private temp file, static files are served by Starlette's
`StaticFiles` (which refuses paths outside its folder), and the artifact is read once at start-up.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import io
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import Depends, FastAPI, File, HTTPException, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gestura import __version__
from gestura.errors import ConfigError, GesturaError, InputError, ModelFileError, SchemaError
from gestura.serving.metrics import Metrics
from gestura.serving.predictor import ServicePredictor, StreamResult
from gestura.serving.video import DisconnectWatch, VideoPool, extract_video
from gestura.serving.schemas import (
    ErrorOut,
    FrameIn,
    FrameOut,
    HealthOut,
    PredictResponse,
    SequenceIn,
    ServiceLimits,
)

if TYPE_CHECKING:
    from gestura.landmarks.backend import LandmarkFrame
    from gestura.landmarks.sequence import LandmarkSequence

log = logging.getLogger("gestura.serving")
STATIC_DIR = Path(__file__).with_name("static")
VIDEO_PATH = "/v1/predict/video"
_ERRORS = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut}}


# ---------------------------------------------------------------------------------------------- body limits
class BodyLimitMiddleware:
    """413 for HTTP bodies over the cap before the app sees them: by Content-Length, or for a chunked body by
    reading it up to the cap (never more) and replaying it."""

    def __init__(self, app: ASGIApp, limits: ServiceLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.limits.max_video_bytes + 64 * 1024 if scope["path"] == VIDEO_PATH else self.limits.max_body_bytes
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    await _send_error(send, 400, "bad Content-Length header")
                    return
                if size > cap:
                    await _send_error(send, 413, f"request body of {size} bytes exceeds the {cap}-byte limit")
                    return
        if not any(key == b"content-length" for key, _ in scope.get("headers", ())):
            # Chunked body: read it here, up to the cap, then replay it to the app.
            chunks, seen, more = [], 0, True
            while more:
                msg = await receive()
                if msg["type"] != "http.request":
                    return
                chunks.append(msg.get("body", b""))
                seen += len(chunks[-1])
                more = msg.get("more_body", False)
                if seen > cap:
                    await _send_error(send, 413, f"request body exceeds the {cap}-byte limit")
                    return
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


async def _send_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------------------------- app factory
def create_app(
    source: str | os.PathLike[str] | Any,
    *,
    api_key: str | None = None,
    limits: ServiceLimits | None = None,
    engine: str = "torch",
    presenter: bool = True,
) -> FastAPI:
    """Build the service around an artifact folder (loaded with `Recognizer.from_file(engine=...)`), a
    `Recognizer`, or a `ServicePredictor`. `api_key` guards every `/v1` route and `/metrics`
    (`X-API-Key` header; WebSocket also `?api_key=`)."""
    if api_key is not None and not api_key.strip():
        raise ConfigError("api_key is empty; an empty key would authenticate anyone (pass None for no auth)")
    limits = limits or ServiceLimits()
    predictor = source if isinstance(source, ServicePredictor) else ServicePredictor.create(source, engine=engine)
    metrics = Metrics()
    video_pool = VideoPool(limits.max_video_jobs)
    state: dict[str, int] = {"ws": 0}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        metrics.set("gestura_ws_connections", "Open WebSocket streams.", 0)
        yield
        video_pool.shutdown()

    app = FastAPIOffline(  # /docs and /redoc with bundled Swagger UI / ReDoc assets: no CDN, work offline
        title="gestura",
        version=__version__,
        summary="Hand-gesture and isolated-sign recognition from landmarks, over HTTP and WebSocket.",
        lifespan=lifespan,
    )
    app.add_middleware(DisconnectWatch, path=VIDEO_PATH)  # type: ignore[arg-type]  # inner: sees the body end
    app.add_middleware(BodyLimitMiddleware, limits=limits)  # type: ignore[arg-type]
    app.state.predictor = predictor
    app.state.metrics = metrics
    app.state.limits = limits

    # ------------------------------------------------------------------ errors and metrics
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _one_line(err.errors())}, status_code=422)

    @app.exception_handler(GesturaError)
    async def _gestura(_: Request, err: GesturaError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=_status_of(err))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return JSONResponse({"detail": f"internal error ({type(err).__name__})"}, status_code=500)

    @app.middleware("http")
    async def _count(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        t0 = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "other")
        metrics.inc("gestura_http_requests_total", "HTTP requests by route and status.",
                    route=path, status=str(response.status_code))
        metrics.observe("gestura_http_request_seconds", "HTTP request latency.", time.perf_counter() - t0,
                        route=path)
        return response

    def require_key(request: Request) -> None:
        if api_key is not None and not _key_ok(api_key, request.headers.get("x-api-key")):
            raise HTTPException(status_code=401, detail="missing or wrong API key (send the X-API-Key header)")

    # ------------------------------------------------------------------ routes
    @app.get("/healthz", response_model=HealthOut, tags=["service"])
    def healthz() -> HealthOut:
        """Liveness and what is loaded (no key needed)."""
        return HealthOut(status="ok", version=__version__, **predictor.info())

    @app.get("/v1/gestures", tags=["service"])
    def gestures() -> dict[str, Any]:
        """The gestures the model knows and what each does (for the browser page), and whether `/v1` routes
        need an API key (no key needed)."""
        from gestura.runtime.presenter import legend_entries

        rec = predictor.recognizer
        return {"gestures": legend_entries(list(rec.labels), rec.command_map), "api_key_required": api_key is not None}

    @app.get("/v1/skeletons", tags=["service"])
    def skeletons() -> dict[str, list[tuple[int, int]]]:
        """Bone edges `(child, parent)` per landmark stream, for drawing (no key needed)."""
        from gestura.landmarks.skeleton import STREAM_SKELETONS

        return {name: list(sk.edges) for name, sk in STREAM_SKELETONS.items() if sk.edges}

    @app.get("/metrics", response_class=PlainTextResponse, tags=["service"], dependencies=[Depends(require_key)])
    def metrics_endpoint() -> PlainTextResponse:
        """Prometheus text format: requests, latencies, streams, frames, predictions."""
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/v1/predict", response_model=PredictResponse, responses=_ERRORS, tags=["predict"],
              dependencies=[Depends(require_key)])
    async def predict(body: SequenceIn) -> PredictResponse:
        """Classify one landmark sequence (`streams`: name -> `(T, J, C)` nested lists)."""
        n = max(len(v) for v in body.streams.values())
        if n > limits.max_frames:
            raise HTTPException(status_code=413, detail=f"{n} frames exceed the {limits.max_frames}-frame limit")
        seq = _sequence_from_body(body)
        if (span := float(seq.t[-1] - seq.t[0])) > limits.max_sequence_seconds:
            raise HTTPException(status_code=413, detail=(
                f"timestamps span {span:.3g} s, over the {limits.max_sequence_seconds:g} s limit"))
        t0 = time.perf_counter()
        pred = await asyncio.to_thread(predictor.predict, seq)
        dt = time.perf_counter() - t0
        _count_prediction(metrics, pred, "predict")
        return PredictResponse(prediction=pred, n_frames=seq.n_frames, frames_with_hand=int(seq.any_hand_present()
                               .sum()), latency_ms=dt * 1000, model=predictor.name)

    @app.post(VIDEO_PATH, response_model=PredictResponse, responses=_ERRORS, tags=["predict"],
              dependencies=[Depends(require_key)])
    async def predict_video(request: Request, video: UploadFile = File(
            ..., description="A video file (mp4, webm, avi...).")) -> PredictResponse:
        """Extract hand landmarks from an uploaded video with MediaPipe, then classify the clip."""
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

            seq = await video_pool.run_cancellable(extract_video, path, limits, disconnected)
            pred = await asyncio.to_thread(predictor.predict, seq)
            dt = time.perf_counter() - t0
        _count_prediction(metrics, pred, "video")
        return PredictResponse(prediction=pred, n_frames=seq.n_frames,
                               frames_with_hand=int(seq.any_hand_present().sum()), latency_ms=dt * 1000,
                               model=predictor.name)

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        """Frames in (JSON landmarks, JSON base64 JPEG, or binary JPEG), one `FrameOut` JSON reply per frame."""
        if api_key is not None and not _key_ok(api_key, ws.headers.get("x-api-key") or
                                               ws.query_params.get("api_key")):
            await ws.close(code=1008, reason="missing or wrong API key")
            return
        if state["ws"] >= limits.max_ws_connections:
            await ws.close(code=1013, reason="too many streams; try again later")
            return
        await ws.accept()
        state["ws"] += 1
        metrics.add("gestura_ws_connections", "Open WebSocket streams.", 1)
        session = _StreamSession(predictor, limits, metrics)
        try:
            await session.run(ws)
        except WebSocketDisconnect:
            pass
        finally:
            state["ws"] -= 1
            metrics.add("gestura_ws_connections", "Open WebSocket streams.", -1)
            await asyncio.to_thread(session.close)

    # ------------------------------------------------------------------ browser demo + presenter
    if presenter:
        hub = _mount_presenter(app, api_key, predictor)
        if hub is not None:
            predictor.add_command_sink(hub)
    app.mount("/static", StaticFiles(directory=STATIC_DIR, html=False), name="static")

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> RedirectResponse:
        query = request.url.query
        return RedirectResponse("/static/index.html" + (f"?{query}" if query else ""))

    return app


# ---------------------------------------------------------------------------------------------- streaming
class _StreamSession:
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
            raise InputError(_one_line(err.errors())) from None
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
    out = {}
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


# ---------------------------------------------------------------------------------------------- helpers
def _sequence_from_body(body: SequenceIn) -> LandmarkSequence:
    from gestura.landmarks.sequence import LandmarkSequence

    try:
        streams = {k: np.asarray(v, dtype=np.float32) for k, v in body.streams.items()}
    except ValueError:
        raise InputError("streams: ragged nested lists (every frame of a stream needs the same J x C)") from None
    present = None
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


def _count_prediction(metrics: Metrics, pred: Any, route: str) -> None:
    metrics.inc("gestura_predictions_total", "Emitted gestures by label and route.",
                label=pred.label if pred is not None else "none", route=route)


def _key_ok(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def _status_of(err: GesturaError) -> int:
    if isinstance(err, (InputError, SchemaError)):
        return 422
    if isinstance(err, ConfigError):
        return 400
    if isinstance(err, ModelFileError):
        return 500
    return 400


def _one_line(errors: Any) -> str:
    """pydantic/FastAPI error list -> `loc: msg; loc: msg` (first three)."""
    parts = []
    for e in list(errors)[:3]:
        if e.get("type") == "json_invalid":
            parts.append(f"body is not valid JSON ({e.get('ctx', {}).get('error', 'decode error')})")
            continue
        loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {e.get('msg', 'invalid')}")
    more = len(list(errors)) - 3
    text = "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)  # client keys stay on one line


def _mount_presenter(app: FastAPI, api_key: str | None, predictor: ServicePredictor) -> Any:
    """Mount the runtime's web presenter (generated demo slides) under `/presenter/`; returns its hub."""
    from gestura.runtime.presenter import PresenterHub, SlideDeck, create_presenter_router, legend_entries, \
        resume_hint

    try:
        deck = SlideDeck.open(None)
    except GesturaError as err:
        log.warning("web presenter not mounted: %s", err)
        return None
    hub = PresenterHub()
    rec = predictor.recognizer
    config = {"legend": legend_entries(list(rec.labels), rec.command_map), "resume_hint": resume_hint(rec.command_map)}
    app.include_router(create_presenter_router(deck, hub, api_key=api_key, config=config), prefix="/presenter",
                       include_in_schema=False)
    return hub
