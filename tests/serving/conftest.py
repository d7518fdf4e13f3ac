"""Fixtures for the service tests: a tiny artifact built here, and a REAL uvicorn server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

LABELS = ["fist", "swiping_left", "swiping_right", "unknown"]


@pytest.fixture(scope="session")
def tiny_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained but deterministic small LSTM artifact (feature-schema-v1, window 16, 4 labels)."""
    torch = pytest.importorskip("torch")
    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model

    pipe = FeaturePipeline("feature-schema-v1")
    torch.manual_seed(0)
    model = create_model("lstm", input_dim=pipe.dim, num_classes=len(LABELS), units=(16,), dense=(16,)).eval()
    out = tmp_path_factory.mktemp("artifact")
    ModelBundle(model=model, pipeline=pipe, labels=LABELS, window=16).save(out)
    return out


@pytest.fixture(scope="session")
def hand_clip() -> tuple[str, np.ndarray, float]:
    """(stream name, (T, 21, 3) frames, fps) of a generated gesture session's acting hand."""
    from gestura.data.synthetic import make_session

    seq = make_session(["swiping_left", "fist"], seed=0)
    name = max(seq.hands(), key=lambda k: int(seq.present[k].sum()))
    return name, seq.streams[name][seq.present[name]], seq.fps


@dataclass
class LiveServer:
    url: str
    ws_url: str
    app: Any
    port: int


def start_server(app: Any) -> tuple[LiveServer, Any]:
    """Run `app` under uvicorn in a thread on a free 127.0.0.1 port; returns (server, stop function)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    limits = app.state.limits
    config = uvicorn.Config(app, log_level="warning", ws_max_size=limits.max_ws_message_bytes + 1024,
                            timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        thread.join(0.05)
    if not server.started:
        raise RuntimeError("uvicorn did not start")

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        sock.close()

    return LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", app, port), stop


@pytest.fixture(scope="module")
def live_server(tiny_artifact: Path) -> Iterator[LiveServer]:
    """The service with api_key="secret" and small limits, on a real uvicorn server."""
    pytest.importorskip("uvicorn")
    from gestura.serving.app import create_app
    from gestura.serving.schemas import ServiceLimits

    limits = ServiceLimits(max_body_bytes=300_000, max_frames=120, max_video_bytes=400_000,
                           max_video_seconds=1.5, max_ws_message_bytes=200_000, max_jpeg_pixels=640 * 480,
                           max_ws_connections=8)
    app = create_app(tiny_artifact, api_key="secret", limits=limits)
    server, stop = start_server(app)
    yield server
    stop()


@pytest.fixture(scope="module")
def open_server(tiny_artifact: Path) -> Iterator[LiveServer]:
    """The service WITHOUT an API key (default limits), on a real uvicorn server."""
    pytest.importorskip("uvicorn")
    from gestura.serving.app import create_app

    server, stop = start_server(create_app(tiny_artifact))
    yield server
    stop()


@pytest.fixture()
def serve_app() -> Iterator[Any]:
    """`serve_app(app) -> LiveServer`: run an app built by the test on a real uvicorn server (stopped after)."""
    stops = []

    def run(app: Any) -> LiveServer:
        server, stop = start_server(app)
        stops.append(stop)
        return server

    yield run
    for stop in stops:
        stop()
