"""Runtime benchmarks for docs/benchmarks.md `## Runtime`.

    .venv/bin/python bench/bench_runtime.py [--artifact DIR] [--words N] [--letters N] [--seeds N]

1. Per-frame cost excluding MediaPipe (smoothing + features + model + decisions) of the streaming runtime
   (per-frame features once, ring buffer) versus re-running the whole window each frame (smoothing and
   features over the last `window` frames, then the same model), in one process on the same session.
2. False activations: discrete commands emitted per minute on real streams with no control gesture:
   asl-traduttore `words` and `letters` sequences (signs and `-` = no sign) concatenated and played back at
   30 fps, and the MediaPipe landmarks of the open-hand and thumbs-up videos.
3. Latency from the end of a gesture's movement to its command on generated demo sessions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


def cost(rec, seq) -> dict:
    """Streaming vs re-running the whole window each frame, same frames, same model, interleaved frame by frame
    so both see the same machine load (this CPU is shared); medians of per-frame times."""
    from gestura.runtime.decision import ActivationController
    from gestura.features.windows import window_batch

    st = rec.session()
    ctl = ActivationController(rec.labels, rec.decision_config)
    w = rec.window
    span = w / (rec.resample_fps or seq.fps)
    s_ms, f_ms = [], []
    for i in range(seq.n_frames):
        t0 = time.perf_counter()
        st.push({k: v[i] if seq.present[k][i] else None for k, v in seq.streams.items()},
                timestamp_ms=float(seq.t[i]) * 1000.0)
        t1 = time.perf_counter()
        # Baseline: smooth + resample + featurise the last `window` worth of raw frames again, then the model.
        lo = int(np.searchsorted(seq.t, seq.t[i] - span - 1e-9))
        rs = rec.prepare(seq.slice(lo, i + 1))
        f, v = rec.pipeline.frame_features(rs)
        x, m, _ = window_batch(rec.pipeline, f[-w:], v[-w:], [min(w, len(v)) - 1], w)
        p = rec.engine.predict_proba(x, m)[0] if m.any() else rec.background_probs()
        ctl.update(p, float(seq.t[i]))
        t2 = time.perf_counter()
        s_ms.append((t1 - t0) * 1000)
        f_ms.append((t2 - t1) * 1000)
    x = np.zeros((1, w, rec.pipeline.dim), np.float32)
    m = np.ones((1, w), bool)
    model = []
    for _ in range(200):
        t0 = time.perf_counter()
        rec.engine.predict_proba(x, m)
        model.append((time.perf_counter() - t0) * 1000)
    sm, fm = float(np.median(s_ms)), float(np.median(f_ms))
    out = {"frames": seq.n_frames, "stream_ms_median": sm, "full_window_ms_median": fm,
           "stream_ms_mean": float(np.mean(s_ms)), "full_window_ms_mean": float(np.mean(f_ms)),
           "speedup_median": fm / sm, "model_ms_median": float(np.median(model))}
    from dataclasses import replace

    from gestura.runtime.recognizer import Recognizer

    for k in (1, 2, 3):
        rk = Recognizer(rec.engine, replace(rec.options, every_k=k))
        costs = [p.cost_ms for p in rk.stream(seq)]
        out[f"every_k{k}_ms_median"] = float(np.median(costs))
    return out


def compare_cost(rec, base, seq) -> dict:
    """Per-frame decision-path cost (smoothing + features + model + decisions, no landmark extraction) of `rec`
    against the `base` recogniser, frame by frame interleaved in one process on the same frames (same load)."""
    a, b = rec.session(), base.session()
    ta, tb = [], []
    for i in range(seq.n_frames):
        frame = {k: v[i] if seq.present[k][i] else None for k, v in seq.streams.items()}
        ta.append(a.push(frame, timestamp_ms=float(seq.t[i]) * 1000.0).cost_ms)
        tb.append(b.push(frame, timestamp_ms=float(seq.t[i]) * 1000.0).cost_ms)
    ma, mb = float(np.median(ta)), float(np.median(tb))
    return {"frames": seq.n_frames, "median_ms": round(ma, 3), "p90_ms": round(float(np.percentile(ta, 90)), 3),
            "baseline_median_ms": round(mb, 3), "baseline_p90_ms": round(float(np.percentile(tb, 90)), 3),
            "ratio_vs_baseline": round(ma / mb, 3)}


def play_commands(rec, seq) -> list[tuple[float, str, str]]:
    """Discrete decisions of a full streaming pass: (t, label, command or no_action)."""
    out = []
    for pred in rec.stream(seq):
        d = pred.decision
        if d is not None and d.kind == "discrete":
            out.append((pred.t_ms / 1000, d.label, pred.command or "no_action"))
    return out


def false_activations(rec, args) -> list[dict]:
    from gestura.data.formats import load_dataset
    from gestura.data.streams import concat_clips

    rows = []
    rng = np.random.default_rng(0)
    for name, n in (("words", args.words), ("letters", args.letters)):
        path = SHARED / "asl-traduttore" / name
        if not path.is_dir() or n == 0:
            continue
        ds = load_dataset(path)
        neg = (rec.meta or {}).get("hard_negatives") or {}
        # Signers whose clips the model saw as hard negatives are left out: only held-out people count.
        seqs = [s for s in ds.sequences if not neg or s.subject != neg.get("recorded_by")]
        order = rng.permutation(len(seqs))[: min(n, len(seqs))]
        chosen = [seqs[i] for i in order]
        nosign = [s for s in seqs if s.label == "-"]
        held = "" if not neg else f", signers other than {neg.get('recorded_by')}"
        for tag, group in ((f"asl-traduttore/{name} ({len(chosen)} random clips, signs + '-'{held})", chosen),
                           (f"asl-traduttore/{name} '-' only ({len(nosign)} clips{held})", nosign)):
            seq = concat_clips(group)
            cmds = play_commands(rec, seq)
            rows.append(_fa_row(tag, seq, cmds))
    videos = SHARED / "media" / "mediapipe-samples"
    for vid in ("open_hand_video.mp4", "thumb_up_video.mp4"):
        if (videos / vid).is_file():
            seq = video_landmarks(videos / vid)
            rows.append(_fa_row(f"media/{vid} (MediaPipe landmarks)", seq, play_commands(rec, seq)))
    return rows


def video_landmarks(path: Path):
    from gestura.capture.sources import open_source
    from gestura.landmarks.backend import sequence_from_frames
    from gestura.landmarks.mediapipe_backend import MediaPipeHands

    with open_source(path) as frames, MediaPipeHands(max_hands=2, static_image_mode=False) as hands:
        lfs = [hands.process(f) for f in frames]
    return sequence_from_frames(lfs, fps=25.0, video_id=path.stem)


def _fa_row(tag: str, seq, cmds) -> dict:
    minutes = seq.duration / 60
    acting = [c for c in cmds if c[2] != "no_action"]
    return {"stream": tag, "minutes": round(minutes, 2), "hand_frames": float(seq.any_hand_present().mean()),
            "commands": len(acting), "discrete_decisions": len(cmds),
            "per_10_min": round(len(acting) / max(minutes, 1e-9) * 10, 2),
            "labels": sorted({c[1] for c in acting})}


def latency(rec, seeds: int) -> dict:
    from gestura.demo import _expected, _generated_session

    delays, hits, total, false = [], 0, 0, 0
    for seed in range(seeds):
        seq, prompts = _generated_session(seed)
        events = []
        for pred in rec.stream(seq):
            d = pred.decision
            if d is not None and d.kind in ("discrete", "continuous"):
                what = (pred.command or "no_action") if d.kind == "discrete" else _expected(d.label)
                if d.kind == "continuous" and events and events[-1][1] == what:
                    continue
                events.append((pred.t_ms / 1000, what))
        used = set()
        for a, b, label in prompts:
            total += 1
            for i, (t, what) in enumerate(events):
                if i not in used and a <= t <= b + 1.0:
                    used.add(i)
                    if what == _expected(label):
                        hits += 1
                        delays.append(t - b)
                    break
        false += sum(1 for i, (t, w) in enumerate(events) if i not in used and w != "no_action")
    d = np.array(delays) * 1000
    return {"sessions": seeds, "gestures": total, "hits": hits, "false_in_rest": false,
            "latency_ms_p50": float(np.percentile(d, 50)) if d.size else None,
            "latency_ms_p90": float(np.percentile(d, 90)) if d.size else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--artifact", default=None)
    ap.add_argument("--words", type=int, default=1500)
    ap.add_argument("--letters", type=int, default=600)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--baseline", default=None, help="another artifact whose per-frame cost is measured beside "
                    "--artifact's (e.g. the previous default: git archive 95dc200 src/gestura/assets/default | "
                    "tar -x -C runs/old-default)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from gestura.demo import _generated_session
    from gestura.runtime.recognizer import Recognizer

    rec = Recognizer.from_file(args.artifact)
    seq, _ = _generated_session(100)
    res = {"cost": cost(rec, seq)}
    print(json.dumps(res["cost"]), file=sys.stderr)
    if args.baseline:
        res["vs_baseline"] = compare_cost(rec, Recognizer.from_file(args.baseline), seq)
        print(json.dumps(res["vs_baseline"]), file=sys.stderr)
    res["latency"] = latency(rec, args.seeds)
    print(json.dumps(res["latency"]), file=sys.stderr)
    res["false_activations"] = false_activations(rec, args)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
