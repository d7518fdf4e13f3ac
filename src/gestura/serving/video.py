"""Video uploads of the service: bounded extraction in worker processes, cancellable when the client leaves.

`extract_video` counts decoded frames and stops at `ServiceLimits.max_video_frames` whatever the container
claims (frame count, frame rate), so a small file that declares 1000 fps cannot keep a worker busy for minutes.
It also stops when a cancel flag file appears (`cancel_flag`): the server creates it when the client disconnects,
so work for a client that is gone ends within one frame.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gestura.errors import GesturaError, InputError
from gestura.serving.schemas import ServiceLimits

if TYPE_CHECKING:
    from gestura.landmarks.sequence import LandmarkSequence


class Cancelled(InputError):
    """The client went away; the extraction stopped."""


def extract_video(path: Path, limits: ServiceLimits, cancel_flag: Path | None = None,
                  hands_factory: Callable[[], Any] | None = None) -> LandmarkSequence:
    """Decode an uploaded video and run MediaPipe Hands on every frame: file -> `LandmarkSequence`.

    Stops with `InputError` as soon as the video runs past `max_video_seconds` or `max_video_frames` (counted,
    not read from the header), or a frame is larger than `max_video_pixels`; stops with `Cancelled` when
    `cancel_flag` exists. `hands_factory` replaces MediaPipe (tests).
    """
    from gestura.capture.sources import VideoFile
    from gestura.landmarks.backend import sequence_from_frames

    if hands_factory is None:
        from gestura.landmarks.mediapipe_backend import MediaPipeHands

        def hands_factory() -> Any:
            return MediaPipeHands(max_hands=2, mirror=False)

    frames = []
    try:
        src = VideoFile(path)
    except GesturaError:
        raise InputError("upload is not a readable video") from None
    cap = limits.max_video_frames
    if src.frame_count is not None and src.frame_count > cap:
        src.close()
        raise InputError(f"video declares {src.frame_count} frames, over the {cap}-frame limit")
    with src, hands_factory() as hands:
        fps = src.fps
        for n, frame in enumerate(src, start=1):
            if n > cap:
                raise InputError(f"video has more than the {cap}-frame limit (decoding stopped there)")
            if cancel_flag is not None and cancel_flag.exists():
                raise Cancelled("client disconnected; extraction cancelled")
            w, h = frame.size
            if w * h > limits.max_video_pixels:
                raise InputError(f"video frames of {w}x{h} exceed the {limits.max_video_pixels}-pixel limit")
            if frame.t_ms / 1000 > limits.max_video_seconds:
                raise InputError(f"video is longer than the {limits.max_video_seconds:g} s limit")
            frames.append(hands.process(frame))
    if not frames:
        raise InputError("upload is not a readable video (no frames decoded)")
    return sequence_from_frames(frames, fps=fps, stream_names=("left_hand", "right_hand"), source="upload")


class VideoPool:
    """Video extraction in worker processes (spawned on first use, `max_video_jobs` of them, 10 nice levels
    down). Decoding and MediaPipe hold the GIL for long stretches, which in-process would stall every live
    stream's 33 ms frame budget; and a decoder crash on a hostile file kills a worker, not the server
    (the pool is rebuilt and the upload gets a 422)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._flags: set[Path] = set()

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"),
                                                 initializer=_init_worker, initargs=(os.getpid(),))
            return self._pool

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        pool = self._get()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise InputError("video could not be decoded (the extraction worker crashed)") from None

    async def run_cancellable(self, fn: Callable[..., Any], path: Path, limits: ServiceLimits,
                              disconnected: Callable[[], Any], poll_s: float = 0.25) -> Any:
        """`fn(path, limits, cancel_flag)` in the pool; while it runs, `await disconnected()` is polled and,
        when the client is gone, the flag file beside `path` is created so the worker stops at its next frame
        (a job still queued is cancelled outright). Raises `Cancelled` then."""
        flag = path.with_name(path.name + ".cancel")
        self._flags.add(flag)
        try:
            task = asyncio.ensure_future(self.run(fn, path, limits, flag))
            while True:
                done, _ = await asyncio.wait({task}, timeout=poll_s)
                if done:
                    return task.result()
                if await disconnected():
                    flag.touch()
                    try:
                        await task  # returns within a frame: the worker sees the flag
                    except GesturaError:
                        pass
                    raise Cancelled("client disconnected; extraction cancelled")
        finally:
            self._flags.discard(flag)

    def shutdown(self, timeout_s: float = 5.0) -> None:
        """Cancel queued jobs, ask running ones to stop (their cancel flags), and reap the worker processes
        (terminated after `timeout_s`), so nothing outlives the server and no semaphore is leaked."""
        with self._lock:
            pool, self._pool = self._pool, None
        for flag in list(self._flags):
            try:
                flag.touch()
            except OSError:
                pass
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        procs += [p for p in (getattr(pool, "_processes", None) or {}).values() if p not in procs]
        deadline = time.monotonic() + timeout_s
        for proc in procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.terminate()
                proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)
        # the executor's own thread reaps the same processes: wait for it, so no reaped worker looks alive
        pool.shutdown(wait=True)


def _init_worker(parent_pid: int) -> None:
    """Worker start: lower the priority, and exit as soon as the server process is gone (a killed server must
    not leave extraction workers behind)."""
    try:
        os.nice(10)
    except OSError:
        pass

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="gestura-parent-watch", daemon=True).start()


class DisconnectWatch:
    """ASGI middleware for one path: once the request body has been read, a task waits on the connection and
    sets `scope["state"]["client_gone"]` (an `asyncio.Event`) when the client disconnects, so a long job for
    that request can be cancelled (`VideoPool.run_cancellable`). The task ends with the request."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        gone = asyncio.Event()
        scope.setdefault("state", {})["client_gone"] = gone
        watcher: asyncio.Task[None] | None = None

        async def watch() -> None:
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    gone.set()
                    return

        async def wrapped() -> Any:
            nonlocal watcher
            if watcher is not None:  # the body is read; the watcher owns the channel now
                await gone.wait()
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.disconnect":
                gone.set()
            elif not msg.get("more_body", False):
                watcher = asyncio.ensure_future(watch())
            return msg

        try:
            await self.app(scope, wrapped, send)
        finally:
            if watcher is not None:
                watcher.cancel()
