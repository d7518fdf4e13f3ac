"""Extraction speed: frames per second of `gestura.data.ingest.extract` with 1 and 2 worker processes.

Runs MediaPipe Hands (or Holistic with --holistic) over the shared videos (media/mediapipe-samples/*.mp4 and
media/msl150/*.mp4) into fresh temp folders, once per worker count, in this one process, and prints frames/s
and the 2-worker/1-worker ratio. Wall time includes spawning the workers and building one MediaPipe graph in each
(what a user of `gestura extract` waits for). Worker CPU time per frame is printed too: on a shared, loaded machine
it is the steadier number.

    nice .venv/bin/python bench/bench_extract.py [--holistic] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from gestura.data.ingest import extract

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "media"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holistic", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--media", type=Path, default=SHARED)
    args = parser.parse_args()

    videos = sorted(args.media.glob("mediapipe-samples/*.mp4")) + sorted(args.media.glob("msl150/*.mp4"))
    if not videos:
        raise SystemExit(f"no videos under {args.media}")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for v in videos:
            (src / v.name).symlink_to(v)
        print(f"{len(videos)} videos, mode={'holistic' if args.holistic else 'hands'}, cpus={os.cpu_count()}, "
              f"load={os.getloadavg()[0]:.1f}, {platform.processor() or platform.machine()}")
        fps_by_workers: dict[int, float] = {}
        for w in args.workers:
            out = Path(tmp) / f"out{w}"
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            report = extract(src, out, holistic=args.holistic, workers=w, progress=False)
            wall = time.perf_counter() - start
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
            if report.errors:
                raise SystemExit(f"extraction failed: {report.errors[0].error}")
            fps_by_workers[w] = report.n_frames / wall
            print(f"workers={w}: {report.n_frames} frames in {wall:.1f} s -> {fps_by_workers[w]:.1f} frames/s "
                  f"(worker CPU {cpu:.1f} s, {1000 * cpu / report.n_frames:.1f} ms CPU per frame)")
            shutil.rmtree(out)
        base = fps_by_workers[args.workers[0]]
        for w, f in fps_by_workers.items():
            print(f"ratio workers={w} / workers={args.workers[0]}: {f / base:.2f}x")


if __name__ == "__main__":
    main()
