"""The gestura service: `create_app(artifact or Recognizer) -> FastAPI` (HTTP, WebSocket, browser demo).

Endpoints: `POST /v1/predict` (landmark sequence JSON), `POST /v1/predict/video` (multipart upload, size and
duration capped, landmarks extracted with MediaPipe), `WebSocket /v1/stream` (landmark or JPEG frames in, one
reply per frame with the prediction and command; each connection has its own streaming buffer and
`ActivationController`), `GET /v1/gestures` (what the page lists), `GET /healthz`, `GET /metrics` (Prometheus
text), `/docs` and `/redoc` (Swagger UI / ReDoc from assets bundled by `fastapi-offline`, so they work offline)
and the browser demo at `/` with the web presenter under `/presenter`.

Routes live in `serving/routes/` (one `APIRouter` each), sharing the `ServiceContext` on `app.state.service`.

Safety: every body and message has a size cap (`ServiceLimits`); payloads are validated by pydantic and
`LandmarkSequence`; library errors become 4xx with one line; anything unexpected becomes a 500 for that request
only. No endpoint takes a file path: uploads go to a private temp file, static files are served by Starlette's
`StaticFiles` (which refuses paths outside its folder), and the artifact is read once at start-up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from gestura import __version__
from gestura.errors import ConfigError, GesturaError
from gestura.serving.body_limit import VIDEO_PATH, BodyLimitMiddleware
from gestura.serving.context import ServiceContext
from gestura.serving.errors import one_line, status_of
from gestura.serving.metrics import Metrics
from gestura.serving.predictor import ServicePredictor
from gestura.serving.routes import ROUTERS
from gestura.serving.schemas import ServiceLimits
from gestura.serving.video import DisconnectWatch, VideoPool

log = logging.getLogger("gestura.serving")
STATIC_DIR = Path(__file__).with_name("static")


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
    ctx = ServiceContext(predictor=predictor, limits=limits, metrics=metrics, api_key=api_key,
                         video_pool=VideoPool(limits.max_video_jobs))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> Any:
        metrics.set("gestura_ws_connections", "Open WebSocket streams.", 0)
        yield
        ctx.video_pool.shutdown()

    app = FastAPIOffline(  # /docs and /redoc with bundled Swagger UI / ReDoc assets: no CDN, work offline
        title="gestura",
        version=__version__,
        summary="Hand-gesture and isolated-sign recognition from landmarks, over HTTP and WebSocket.",
        lifespan=lifespan,
    )
    app.add_middleware(DisconnectWatch, path=VIDEO_PATH)  # type: ignore[arg-type]  # inner: sees the body end
    app.add_middleware(BodyLimitMiddleware, limits=limits)  # type: ignore[arg-type]
    app.state.service = ctx
    app.state.predictor = predictor
    app.state.metrics = metrics
    app.state.limits = limits

    # ------------------------------------------------------------------ errors and metrics
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": one_line(err.errors())}, status_code=422)

    @app.exception_handler(GesturaError)
    async def _gestura(_: Request, err: GesturaError) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=status_of(err))

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

    # ------------------------------------------------------------------ routes, browser demo + presenter
    for router in ROUTERS:
        app.include_router(router)
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
