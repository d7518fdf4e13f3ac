"""Load and engine benchmarks for the gestura service (issue 7) -> docs/benchmarks.md `## Serving`, `## Export`.

1. Streams: a real `gestura serve` process on 127.0.0.1; N concurrent WebSocket clients each send landmark
   frames (a real recorded presentation stream when ../shared/datasets is present, else synthetic) at 30 fps for
   M seconds; every frame gets one reply, and the client measures send -> reply latency. N grows over
   `--clients` until p99 passes one frame (33 ms) or the list ends. Errors = error replies + lost replies +
   failed connections.
2. The same at `--upload-clients` streams while video uploads (`POST /v1/predict/video`, the shared
   open-hand video cut to 2 s) run back to back in parallel.
3. Engines: torch vs onnx `predict_proba` on one window (B=1), in this process, same inputs; the ratio.

Bounded: every phase has a frame count and a wall-clock cap, and the server is killed at the end.

    .venv/bin/python bench/bench_serving.py --artifact src/gestura/assets/default --seconds 5 \
        --clients 1,2,4,8,16,32,64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
FRAME_S = 1 / 30
ONE_FRAME_MS = 33.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_frames(n: int) -> tuple[np.ndarray, str]:
    """(n, 21, 3) right-hand frames: a real presentation stream if present, else synthetic."""
    path = SHARED / "presentation-streams" / "joschua_s1.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as d:
            hand = d["right_hand"].astype(np.float32)
        return np.resize(hand, (n, 21, 3)), f"{path.name} (real, replayed at 30 fps)"
    from gestura.data.synthetic import make_session

    seq = make_session(["swiping_left", "fist", "swiping_right"] * 4, seed=0)
    key = seq.hands()[0]
    return np.resize(seq.streams[key], (n, 21, 3)), "synthetic session"


def start_server(artifact: str, port: int, engine: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "gestura", "serve", artifact, "--port", str(port), "--engine", engine,
           "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    import urllib.request

    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


async def client(url: str, frames: np.ndarray, n_frames: int, lat: list[float], errs: list[str],
                 offset: float, *, count_after: float = 0.0, reply_timeout_s: float = 10.0,
                 open_timeout_s: float = 10.0) -> int:
    """One WebSocket connection sending `n_frames` landmark frames at 30 fps after `offset` s; per-frame reply
    latencies of frames sent after the `count_after` clock (`time.perf_counter`) go to `lat`, errors to `errs`;
    returns the number of replies (bench_soak.py drives it too)."""
    import websockets

    sent: dict[int, float] = {}
    got = 0
    try:
        async with websockets.connect(url, max_size=2**20, open_timeout=open_timeout_s) as ws:
            async def reader() -> None:
                nonlocal got
                async for raw in ws:
                    now = time.perf_counter()
                    msg = json.loads(raw)
                    if msg.get("type") == "error":
                        errs.append(msg.get("detail", "error"))
                    elif msg.get("seq") in sent:
                        t_sent = sent.pop(msg["seq"])
                        if t_sent >= count_after:
                            lat.append((now - t_sent) * 1000)
                    got += 1
                    if got >= n_frames:
                        return

            task = asyncio.create_task(reader())
            await asyncio.sleep(offset)
            t0 = time.perf_counter()
            for i in range(n_frames):
                delay = t0 + i * FRAME_S - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                msg = {"type": "landmarks", "seq": i, "t_ms": int(i * 1000 * FRAME_S) + 1,
                       "streams": {"right_hand": frames[i % len(frames)].round(5).tolist()}}
                sent[i] = time.perf_counter()
                await ws.send(json.dumps(msg))
            try:
                await asyncio.wait_for(task, timeout=reply_timeout_s)
            except asyncio.TimeoutError:
                errs.append(f"{n_frames - got} replies missing after {reply_timeout_s:g} s")
    except Exception as err:  # connection failures count as errors, the bench goes on
        errs.append(f"{type(err).__name__}: {err}")
    return got


async def uploader(base: str, video: Path, stop: asyncio.Event, times: list[float], errs: list[str]) -> None:
    import httpx

    data = video.read_bytes()
    async with httpx.AsyncClient(timeout=120) as http:
        while not stop.is_set():
            t0 = time.perf_counter()
            r = await http.post(f"{base}/v1/predict/video", files={"video": ("clip.mp4", data, "video/mp4")})
            if r.status_code != 200:
                errs.append(f"upload {r.status_code}: {r.text[:120]}")
            else:
                times.append(time.perf_counter() - t0)


async def run_streams(port: int, n: int, seconds: float, frames: np.ndarray, video: Path | None = None) -> dict:
    url = f"ws://127.0.0.1:{port}/v1/stream"
    n_frames = int(seconds * 30)
    lat: list[float] = []
    errs: list[str] = []
    up_times: list[float] = []
    up_errs: list[str] = []
    stop = asyncio.Event()
    up = (asyncio.create_task(uploader(f"http://127.0.0.1:{port}", video, stop, up_times, up_errs))
          if video else None)
    t0 = time.perf_counter()
    clients = (client(url, frames, n_frames, lat, errs, k * FRAME_S / n) for k in range(n))  # staggered
    await asyncio.wait_for(asyncio.gather(*clients), timeout=seconds + 60)
    wall = time.perf_counter() - t0
    stop.set()
    if up:
        await asyncio.wait_for(up, timeout=180)
    a = np.array(lat) if lat else np.array([np.nan])
    return {"clients": n, "frames_sent": n * n_frames, "replies": len(lat), "errors": len(errs) + len(up_errs),
            "error_examples": (errs + up_errs)[:3], "p50_ms": float(np.percentile(a, 50)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(np.max(a)), "wall_s": wall,
            "uploads": len(up_times), "upload_mean_s": float(np.mean(up_times)) if up_times else None}


def cut_video(seconds: float) -> Path | None:
    src = SHARED / "media" / "mediapipe-samples" / "open_hand_video.mp4"
    if not src.is_file():
        return None
    out = Path(tempfile.mkdtemp(prefix="gestura-bench-")) / "clip.mp4"
    import cv2

    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25
    ok, frame = cap.read()
    h, w = frame.shape[:2]
    wr = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w // 2, h // 2))
    for _ in range(int(seconds * fps)):
        if not ok:
            break
        wr.write(cv2.resize(frame, (w // 2, h // 2)))
        ok, frame = cap.read()
    wr.release()
    cap.release()
    return out


def engine_latency(artifact: str, iters: int) -> dict:
    import torch

    torch.set_num_threads(1)
    from gestura.artifact import ModelBundle
    from gestura.serving.export import export_onnx, load_onnx

    bundle = ModelBundle.load(artifact)
    out = Path(tempfile.mkdtemp(prefix="gestura-onnx-"))
    rep = export_onnx(artifact, out)
    onnx_model = load_onnx(out, num_threads=1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, bundle.window, bundle.input_dim)).astype(np.float32)
    m = np.ones((1, bundle.window), dtype=bool)
    res = {}
    for name, fn in (("torch", lambda: bundle.predict_proba(x, m)), ("onnx", lambda: onnx_model.predict_proba(x, m))):
        for _ in range(20):
            fn()
        ts = []
        for _ in range(iters):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1000)
        res[name] = {"p50_ms": statistics.median(ts), "p99_ms": float(np.percentile(ts, 99))}
    res["ratio_torch_over_onnx"] = res["torch"]["p50_ms"] / res["onnx"]["p50_ms"]
    res["model"] = rep.model
    res["exporter"] = rep.exporter
    res["dynamic_time"] = rep.dynamic_time
    res["window"] = bundle.window
    res["input_dim"] = bundle.input_dim
    res["max_abs_diff"] = rep.max_abs_diff
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifact", default=str(ROOT / "src" / "gestura" / "assets" / "default"))
    ap.add_argument("--engine", default="torch", choices=["torch", "onnx"])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", default="1,2,4,8,16,32,64")
    ap.add_argument("--upload-clients", type=int, default=4)
    ap.add_argument("--engine-iters", type=int, default=300)
    ap.add_argument("--skip-engines", action="store_true")
    ap.add_argument("--keep-going", action="store_true", help="sweep every N, not only up to the first over 33 ms")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    results: dict = {"cpu_count": os.cpu_count(), "load_avg_start": os.getloadavg()}
    counts = [int(c) for c in args.clients.split(",")]
    frames, frames_src = load_frames(int(args.seconds * 30))
    results["frames"] = frames_src
    if not args.skip_engines:
        results["engines"] = engine_latency(args.artifact, args.engine_iters)
        print(json.dumps(results["engines"], indent=1), flush=True)
    port = free_port()
    server = start_server(args.artifact, port, args.engine)
    try:
        sweep = []
        for n in counts:
            r = asyncio.run(run_streams(port, n, args.seconds, frames))
            sweep.append(r)
            print(json.dumps(r), flush=True)
            if r["p99_ms"] > ONE_FRAME_MS and not args.keep_going:
                break
        results["sweep"] = sweep
        passed = [r["clients"] for r in sweep if r["p99_ms"] > ONE_FRAME_MS]
        results["first_n_over_one_frame"] = passed[0] if passed else None
        video = cut_video(2.0)
        if video is not None and args.upload_clients > 0:
            r = asyncio.run(run_streams(port, args.upload_clients, args.seconds, frames, video=video))
            results["with_uploads"] = r
            print(json.dumps(r), flush=True)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    results["load_avg_end"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    print(json.dumps({k: v for k, v in results.items() if k not in ("sweep",)}, indent=1))


if __name__ == "__main__":
    main()
