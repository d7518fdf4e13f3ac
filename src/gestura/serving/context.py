"""What every route of the service shares: `ServiceContext` (on `app.state.service`) and the API-key check."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request

from gestura.serving.metrics import Metrics
from gestura.serving.predictor import ServicePredictor
from gestura.serving.schemas import ServiceLimits
from gestura.serving.video import VideoPool


@dataclass
class ServiceContext:
    """The loaded model, limits, metrics, the optional API key, the video worker pool and the open-stream count."""

    predictor: ServicePredictor
    limits: ServiceLimits
    metrics: Metrics
    api_key: str | None
    video_pool: VideoPool
    open_streams: int = 0


def service_context(request: Request) -> ServiceContext:
    """FastAPI dependency: the context `create_app` stored on the app."""
    return request.app.state.service


def require_key(request: Request) -> None:
    """FastAPI dependency: 401 unless the `X-API-Key` header matches (no-op when the service has no key)."""
    api_key = service_context(request).api_key
    if api_key is not None and not key_ok(api_key, request.headers.get("x-api-key")):
        raise HTTPException(status_code=401, detail="missing or wrong API key (send the X-API-Key header)")


def key_ok(expected: str, given: str | None) -> bool:
    """Constant-time comparison of an API key."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
