"""Video uploads (issue 19 item 2): decoding counts frames and stops at the limit whatever the container claims,
and the work for a client that disconnected is cancelled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gestura.errors import InputError
from gestura.serving.schemas import ServiceLimits
from gestura.serving.video import Cancelled, VideoPool, extract_video

cv2 = pytest.importorskip("cv2")


def _video(path: Path, n: int, fps: float = 1000.0, side: int = 64) -> Path:
    """A small mp4 of noise that declares `fps` (like the 278 KB, 64x64, 1000 fps upload of the issue)."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (side, side))
    rng = np.random.default_rng(0)
    for _ in range(n):
        w.write(rng.integers(0, 255, (side, side, 3), dtype=np.uint8))
    w.release()
    return path


class _CountingHands:
    """Stands in for MediaPipe: counts the frames it is given."""

    calls = 0

    def __enter__(self) -> _CountingHands:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def process(self, frame: Any) -> Any:
        _CountingHands.calls += 1
        return None


def test_header_claim_over_the_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    path = _video(tmp_path / "a.mp4", 120)
    _CountingHands.calls = 0
    with pytest.raises(InputError, match="declares 120 frames, over the 50-frame limit"):
        extract_video(path, ServiceLimits(max_video_frames=50), hands_factory=_CountingHands)
    assert _CountingHands.calls == 0


def test_frames_are_counted_whatever_the_container_claims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """1000 fps keeps t_ms under max_video_seconds; the frame count is what stops it, even with no header count."""
    import gestura.capture.sources as sources

    class Silent(sources.VideoFile):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            self.frame_count = None  # a container that claims nothing (or lies)

    monkeypatch.setattr(sources, "VideoFile", Silent)
    path = _video(tmp_path / "a.mp4", 120)
    _CountingHands.calls = 0
    with pytest.raises(InputError, match="more than the 50-frame limit"):
        extract_video(path, ServiceLimits(max_video_frames=50, max_video_seconds=20),
                      hands_factory=_CountingHands)
    assert _CountingHands.calls == 50


def test_cancel_flag_stops_extraction(tmp_path: Path) -> None:
    path = _video(tmp_path / "a.mp4", 30)
    flag = tmp_path / "a.cancel"
    flag.touch()
    _CountingHands.calls = 0
    with pytest.raises(Cancelled, match="client disconnected"):
        extract_video(path, ServiceLimits(), flag, hands_factory=_CountingHands)
    assert _CountingHands.calls == 0


def test_disconnected_client_cancels_the_running_job(tmp_path: Path) -> None:
    """The job runs until the flag appears; `run_cancellable` creates it once `disconnected()` says so."""
    seen: dict[str, Any] = {}

    def slow_job(path: Path, limits: ServiceLimits, flag: Path) -> str:
        t0 = time.monotonic()
        while not flag.exists():
            if time.monotonic() - t0 > 10:
                return "ran to the end"
            time.sleep(0.01)
        seen["stopped_after"] = time.monotonic() - t0
        raise Cancelled("stopped")

    pool = VideoPool(1)

    async def in_thread(fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    pool.run = in_thread  # type: ignore[method-assign]  # same protocol, without spawning a process
    polls = {"n": 0}

    async def disconnected() -> bool:
        polls["n"] += 1
        return polls["n"] >= 3

    upload = tmp_path / "upload.video"
    upload.write_bytes(b"x")
    with pytest.raises(Cancelled, match="client disconnected"):
        asyncio.run(pool.run_cancellable(slow_job, upload, ServiceLimits(), disconnected, poll_s=0.05))
    assert seen["stopped_after"] < 2.0


def test_shutdown_reaps_the_workers() -> None:
    """Issue 19 item 7 ("leaked semaphore objects" at shutdown): no extraction worker outlives `shutdown`."""
    import os

    pool = VideoPool(2)

    async def go() -> int:
        return await pool.run(os.getpid)

    pid = asyncio.run(go())
    procs = list(pool._get()._processes.values())  # type: ignore[union-attr]
    assert procs and pid != os.getpid()
    pool.shutdown(timeout_s=10)
    assert all(_gone(p) for p in procs)


def _gone(proc) -> bool:  # noqa: ANN001
    """The worker has exited: `is_alive` is False, or the OS no longer knows its pid (another thread of this
    process, e.g. a child watcher, reaped it first, which leaves `is_alive` unable to tell)."""
    import os

    proc.join(2.0)
    if not proc.is_alive():
        return True
    try:
        os.kill(proc.pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
def test_upload_work_stops_when_the_client_disconnects(tiny_artifact: Path, tmp_path: Path, serve_app: Any) -> None:
    """Issue 19 item 2 end to end: with one video worker, a long upload whose client gives up after 2 s must
    not hold the worker; the next upload is served at once (before: after the whole long decode)."""
    pytest.importorskip("mediapipe")
    import httpx

    from gestura.serving.app import create_app

    long = _video(tmp_path / "long.mp4", 1800, fps=1000.0, side=160)
    short = _video(tmp_path / "short.mp4", 8, side=64)
    app = create_app(tiny_artifact, limits=ServiceLimits(max_video_jobs=1, max_video_seconds=60))
    url = serve_app(app).url + "/v1/predict/video"
    r = httpx.post(url, files={"video": ("s.mp4", short.read_bytes(), "video/mp4")}, timeout=120)
    assert r.status_code == 200  # worker spawned and MediaPipe loaded
    with pytest.raises(httpx.TimeoutException):
        httpx.post(url, files={"video": ("l.mp4", long.read_bytes(), "video/mp4")}, timeout=2)
    t0 = time.monotonic()
    r = httpx.post(url, files={"video": ("s.mp4", short.read_bytes(), "video/mp4")}, timeout=120)
    assert r.status_code == 200 and time.monotonic() - t0 < 5.0
