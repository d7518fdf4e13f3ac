"""Soak test of the gestura service (issue 19) -> docs/benchmarks.md `## Soak`.

A real `gestura serve` process on 127.0.0.1; `--clients` WebSocket clients each stream landmark frames at 30 fps
on one connection for `--seconds`, while `--uploaders` clients post a 2 s video to `POST /v1/predict/video` back
to back. Reports errors (error replies, lost replies, failed connections, failed uploads), per-frame send ->
reply latency after the warm-up (p50/p99/max), uploads done, and the resident memory of the server process (and of
its video workers) after the warm-up and at the end.

Bounded: the run stops after `--seconds` (+ at most 60 s to drain), and the server is stopped at the end.

    .venv/bin/python bench/bench_soak.py --seconds 300 --clients 32 --uploaders 1 --warmup 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_serving import ROOT, cut_video, free_port, load_frames, start_server, uploader  # noqa: E402

FRAME_S = 1 / 30


def rss_mib(pid: int) -> float:
    """Resident memory of one process (MiB), 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


async def stream_client(url: str, frames: np.ndarray, seconds: float, warmup: float, t_start: float,
                        lat: list[float], errs: list[str], offset: float) -> int:
    """One connection at 30 fps for `seconds`; latencies of frames sent after `warmup` go to `lat`."""
    from bench_serving import client  # the same client as the serving bench (this folder is on sys.path)

    return await client(url, frames, int(seconds * 30), lat, errs, offset, count_after=t_start + warmup,
                        reply_timeout_s=30.0, open_timeout_s=20.0)


async def soak(port: int, pid: int, args: argparse.Namespace, frames: np.ndarray, video: Path | None) -> dict:
    url = f"ws://127.0.0.1:{port}/v1/stream"
    lat: list[float] = []
    errs: list[str] = []
    up_times: list[float] = []
    up_errs: list[str] = []
    samples: list[tuple[float, float, float]] = []
    stop = asyncio.Event()
    t_start = time.perf_counter()

    async def sampler() -> None:
        while not stop.is_set():
            kids = children(pid)
            samples.append((time.perf_counter() - t_start, rss_mib(pid), sum(rss_mib(k) for k in kids)))
            try:
                await asyncio.wait_for(stop.wait(), timeout=2.0)
            except asyncio.TimeoutError:
                pass

    mon = asyncio.create_task(sampler())
    ups = [asyncio.create_task(uploader(f"http://127.0.0.1:{port}", video, stop, up_times, up_errs))
           for _ in range(args.uploaders if video else 0)]
    clients = [stream_client(url, frames, args.seconds, args.warmup, t_start, lat, errs, k * FRAME_S / args.clients)
               for k in range(args.clients)]
    replies = await asyncio.wait_for(asyncio.gather(*clients), timeout=args.seconds + 90)
    end_rss = (rss_mib(pid), sum(rss_mib(k) for k in children(pid)))
    stop.set()
    for u in ups:
        await asyncio.wait_for(u, timeout=180)
    await mon
    warm = next((s for s in samples if s[0] >= args.warmup), samples[-1])
    a = np.array(lat) if lat else np.array([np.nan])
    return {
        "clients": args.clients, "seconds": args.seconds, "warmup_s": args.warmup, "uploaders": len(ups),
        "frames_sent": args.clients * int(args.seconds * 30), "replies": int(sum(replies)),
        "errors": len(errs) + len(up_errs), "error_examples": (errs + up_errs)[:3],
        "p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99)), "max_ms": float(np.max(a)),
        "frames_after_warmup": len(lat), "uploads": len(up_times),
        "upload_mean_s": float(np.mean(up_times)) if up_times else None,
        "rss_warm_mib": warm[1], "rss_end_mib": end_rss[0], "rss_end_over_warm": end_rss[0] / warm[1],
        "workers_rss_warm_mib": warm[2], "workers_rss_end_mib": end_rss[1],
        "rss_samples": [(round(t, 1), round(r, 1), round(w, 1)) for t, r, w in samples],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--artifact", default=str(ROOT / "src" / "gestura" / "assets" / "default"))
    ap.add_argument("--engine", default="torch", choices=["torch", "onnx"])
    ap.add_argument("--seconds", type=float, default=300.0)
    ap.add_argument("--warmup", type=float, default=30.0, help="Seconds before latency and memory count.")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--uploaders", type=int, default=1)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not 0 <= args.warmup < args.seconds:
        raise SystemExit("--warmup must be shorter than --seconds")
    frames, what = load_frames(int(args.seconds * 30))
    video = cut_video(2.0) if args.uploaders else None
    port = free_port()
    proc = start_server(args.artifact, port, args.engine)
    try:
        res = asyncio.run(soak(port, proc.pid, args, frames, video))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
        if video is not None:
            shutil.rmtree(video.parent, ignore_errors=True)
    res["frames"] = what
    res["video"] = str(video) if video else None
    print(json.dumps({k: v for k, v in res.items() if k != "rss_samples"}, indent=2))
    print(f"{res['clients']} clients x {res['seconds']:.0f} s at 30 fps + {res['uploaders']} uploader(s): "
          f"{res['errors']} errors, {res['replies']}/{res['frames_sent']} replies, p50 {res['p50_ms']:.1f} ms, "
          f"p99 {res['p99_ms']:.1f} ms, max {res['max_ms']:.1f} ms (after {res['warmup_s']:.0f} s warm-up); "
          f"{res['uploads']} uploads; server RSS {res['rss_warm_mib']:.0f} -> {res['rss_end_mib']:.0f} MiB "
          f"({(res['rss_end_over_warm'] - 1) * 100:+.1f}%), video workers {res['workers_rss_warm_mib']:.0f} -> "
          f"{res['workers_rss_end_mib']:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
