"""Per-window model latency (batch 1, CPU, eager, window 32) and feature extraction frames/s per schema.

Usage: `python bench/bench_models.py [--threads 1] [--repeats 50] [--out docs/benchmarks.md]` prints a markdown
table; with `--out` it replaces the `## Models and features` section of that file. Latency is the median of
`repeats` timed calls after warm-up; the plain `lstm` is the baseline the ratios refer to.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np


def _median_ms(fn, repeats: int, warmup: int = 5) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def bench_models(repeats: int, window: int = 32) -> list[tuple[str, int, int, float]]:
    """(name, input width, params, median ms per window) for every registered model."""
    import torch

    from gestura.models import create_model, list_models

    rows = []
    for name in list_models():
        torch.manual_seed(0)
        model = create_model(name, input_dim=147, num_classes=10).eval()
        x = torch.randn(1, window, 147)
        mask = torch.ones(1, window, dtype=torch.bool)
        with torch.inference_mode():
            ms = _median_ms(lambda: model(x, mask), repeats)
        rows.append((name, 147, sum(p.numel() for p in model.parameters()), ms))
    return rows


def _sequences(n: int = 300):
    from gestura.landmarks.sequence import LandmarkSequence

    rng = np.random.default_rng(0)
    hand = lambda c: (c + np.cumsum(rng.normal(0, 0.002, (n, 1, 3)), 0) + rng.normal(0, 0.05, (1, 21, 3)))
    pose = rng.uniform(0.3, 0.7, (n, 33, 4))
    face = rng.uniform(0.4, 0.6, (n, 468, 3))
    body = LandmarkSequence.from_arrays({"pose": pose, "face": face, "left_hand": hand(0.7),
                                         "right_hand": hand(0.3)}, 30.0)
    tip = np.cumsum(rng.normal(0, 0.01, (n, 1, 2)), 0)
    tips = LandmarkSequence.from_arrays({"index_tip": tip - tip[0] + 1e-3}, 30.0, attrs={"image_size": (960, 540)})
    return body, tips


def bench_features(repeats: int) -> list[tuple[str, int, float, float]]:
    """(schema, dim, offline frames/s over a 300-frame clip, streaming frames/s with a 32-frame window)."""
    from gestura.features.pipeline import FeaturePipeline
    from gestura.features.schema import SCHEMAS

    body, tips = _sequences()
    rows = []
    for sid in SCHEMAS:
        seq = tips if sid.startswith("fingertip") else body
        pipe = FeaturePipeline(sid)
        ms = _median_ms(lambda: pipe.transform(seq), max(5, repeats // 5), warmup=2)
        feats, valid = pipe.frame_features(seq)
        c = pipe.context

        def step(i: int = 200) -> None:
            f, v = pipe.frame_features(seq.slice(i - c, i + 1))
            pipe.window_features(np.concatenate([feats[i - 31:i], f[-1:]]), valid[i - 31:i + 1])

        sms = _median_ms(step, repeats)
        rows.append((sid, pipe.dim, seq.n_frames / (ms / 1000), 1000 / sms))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    models = bench_models(args.repeats)
    base = dict((r[0], r[3]) for r in models)["lstm"]
    feats = bench_features(args.repeats)
    lines = [
        "## Models and features",
        "",
        f"Command: `python bench/bench_models.py --threads {args.threads} --repeats {args.repeats}"
        f"{' --out ' + str(args.out) if args.out else ''}` on {platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, {args.threads} thread(s), 2-core CPU shared with other jobs (load average "
        f"{os.getloadavg()[0]:.1f} at the end: treat as upper bounds).",
        "",
        "Per-window latency, batch 1, eager, window 32 frames x 147 features, median:",
        "",
        "| model | params | ms / window | x lstm |",
        "|---|---:|---:|---:|",
        *[f"| {n} | {p:,} | {ms:.2f} | {ms / base:.1f} |" for n, _, p, ms in models],
        "",
        "Feature extraction (300-frame clip with pose, face and both hands; fingertip: 300-frame trajectory):",
        "",
        "| schema | dim | offline frames/s | streaming frames/s (frame_features on context + 1 frames, "
        "window_features on 32) |",
        "|---|---:|---:|---:|",
        *[f"| {s} | {d} | {off:,.0f} | {st:,.0f} |" for s, d, off, st in feats],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        from gestura.io import write_text

        old = args.out.read_text() if args.out.exists() else "# Benchmarks\n"
        head, sep, rest = old.partition("## Models and features")
        tail = ""
        if sep:
            nxt = rest.find("\n## ")
            tail = rest[nxt + 1:] if nxt >= 0 else ""
        write_text(args.out, head.rstrip() + "\n\n" + text + ("\n" + tail if tail else ""))


if __name__ == "__main__":
    main()
