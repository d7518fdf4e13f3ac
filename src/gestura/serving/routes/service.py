"""Service routes: health, the gestures and skeletons the browser page draws, Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse

from gestura import __version__
from gestura.serving.context import ServiceContext, require_key, service_context
from gestura.serving.schemas import HealthOut

router = APIRouter(tags=["service"])
Context = Annotated[ServiceContext, Depends(service_context)]


@router.get("/healthz", response_model=HealthOut)
def healthz(ctx: Context) -> HealthOut:
    """Liveness and what is loaded (no key needed)."""
    return HealthOut(status="ok", version=__version__, **ctx.predictor.info())


@router.get("/v1/gestures")
def gestures(ctx: Context) -> dict[str, Any]:
    """The gestures the model knows and what each does (for the browser page), and whether `/v1` routes
    need an API key (no key needed)."""
    from gestura.runtime.presenter import legend_entries

    rec = ctx.predictor.recognizer
    return {"gestures": legend_entries(list(rec.labels), rec.command_map), "api_key_required": ctx.api_key is not None}


@router.get("/v1/skeletons")
def skeletons() -> dict[str, list[tuple[int, int]]]:
    """Bone edges `(child, parent)` per landmark stream, for drawing (no key needed)."""
    from gestura.landmarks.skeleton import STREAM_SKELETONS

    return {name: list(sk.edges) for name, sk in STREAM_SKELETONS.items() if sk.edges}


@router.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(require_key)])
def metrics_endpoint(ctx: Context) -> PlainTextResponse:
    """Prometheus text format: requests, latencies, streams, frames, predictions."""
    return PlainTextResponse(ctx.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
