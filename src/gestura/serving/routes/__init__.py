"""The service's routes, one `APIRouter` per concern; `create_app` includes them in this order.

- `service.py`: `GET /healthz`, `/v1/gestures`, `/v1/skeletons`, `/metrics`;
- `predict.py`: `POST /v1/predict` (a landmark sequence) and `POST /v1/predict/video` (an upload);
- `stream.py`: `WebSocket /v1/stream` (landmark or JPEG frames in, one reply per frame).
Every route reads what it needs from the `ServiceContext` on `app.state.service` (`gestura.serving.context`).
"""

from gestura.serving.routes import predict, service, stream

ROUTERS = (service.router, predict.router, stream.router)

__all__ = ["ROUTERS"]
