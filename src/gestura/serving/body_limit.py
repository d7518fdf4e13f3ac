"""`BodyLimitMiddleware`: HTTP bodies over the cap are refused with 413 before the app reads them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gestura.serving.schemas import ServiceLimits

VIDEO_PATH = "/v1/predict/video"
"""The upload route, whose cap is `max_video_bytes` (plus room for the multipart envelope)."""


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
                    await send_error(send, 400, "bad Content-Length header")
                    return
                if size > cap:
                    await send_error(send, 413, f"request body of {size} bytes exceeds the {cap}-byte limit")
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
                    await send_error(send, 413, f"request body exceeds the {cap}-byte limit")
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


async def send_error(send: Send, status: int, detail: str) -> None:
    """Answer an HTTP request with a JSON `{"detail": ...}` error straight from ASGI (before the app runs)."""
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
