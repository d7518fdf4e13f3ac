"""Landmark CNN vs its MediaPipe teacher: error on held-out videos, speed per crop, whole-frame tracking FPS.

Usage (after `gestura landmarks dataset` and `gestura landmarks train`):
    nice python bench/bench_landmark_cnn.py --data DATA --model MODEL [--media ../shared/datasets/media]

Error: on the teacher crops of the model's held-out groups (videos never seen in training), for torch,
onnxruntime fp32 and int8. Speed: the same held-out crops, one at a time, in this process, rounds interleaved so
machine load hits every method alike: CNN torch eager (1 thread), onnxruntime fp32 and int8 (1 thread), and
MediaPipe Hands on the crop in static mode (palm detector + landmark model, what re-detection costs) and in
tracking mode over consecutive crops (mostly the landmark model alone). Tracking: whole frames of the held-out
videos through `MediaPipeHands` (tracking mode) and `CnnHandBackend` (max 1 hand), with the CNN's per-frame
distance to MediaPipe's landmarks. Downstream: the same gesture classifier (`--classifier`, default the embedded
presentation model, through the runtime's `Recognizer`) fed by each backend's landmark stream of those frames;
agreement of its per-frame decision (argmax class) with the MediaPipe-fed run, and the commands each fires.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _median_ms(fn, items, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        for it in items:
            fn(it)
        out.append(1000 * (time.perf_counter() - t) / len(items))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--media", type=Path, default=ROOT.parent / "shared" / "datasets" / "media")
    ap.add_argument("--crops", type=int, default=40, help="held-out crops timed per method and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=120, help="frames per held-out video for tracking FPS")
    ap.add_argument("--skip-frac", type=float, default=0.0, help="start tracking this far into each video (for a "
                    "model trained on the early frames of the same videos: scripts/cnn_time_split.py)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--classifier", type=Path, default=None, help="gesture artifact for the downstream comparison "
                    "(default: the embedded default)")
    args = ap.parse_args()

    import cv2
    import torch

    from gestura.capture.frame import Frame
    from gestura.capture.sources import open_source
    from gestura.landmarks.cnn.evaluate import evaluate_landmark_model, landmark_errors
    from gestura.landmarks.cnn.export import (OnnxLandmarkModel, calibration_images, check_landmark_parity,
                                              export_landmark_onnx, quantize_landmark_onnx)
    from gestura.landmarks.cnn.heads import load_landmark_model
    from gestura.landmarks.cnn.teacher import read_crops, read_manifest
    from gestura.landmarks.cnn.tracker import CnnHandBackend
    from gestura.landmarks.mediapipe_backend import MediaPipeHands
    from gestura.landmarks.smoothing import SmoothingConfig

    torch.set_num_threads(1)
    net, info = load_landmark_model(args.model)
    held = list(info.get("held_out") or [])
    rows = read_manifest(args.data)
    train_groups = sorted({r["group"] for r in rows} - set(held))
    size = net.input_size
    res: dict = {"model": str(args.model), "input_size": size, "width": info["width"],
                 "parameters": info["parameters"],
                 "size_mb": (args.model / "model.safetensors").stat().st_size / 2**20,
                 "held_out": held, "train_groups": train_groups, "n_train_crops": info.get("n_train_crops")}

    onnx_path = export_landmark_onnx(net, args.model / "model.onnx")
    res["onnx_parity_max_abs"] = check_landmark_parity(net, onnx_path)
    calib = calibration_images(args.data, size, groups=train_groups)
    int8_path = quantize_landmark_onnx(onnx_path, args.model / "model.int8.onnx", calib)
    res["onnx_mb"] = onnx_path.stat().st_size / 2**20
    res["int8_mb"] = int8_path.stat().st_size / 2**20
    fp32, int8 = OnnxLandmarkModel(onnx_path), OnnxLandmarkModel(int8_path)
    for name, m in (("torch", net), ("onnx_fp32", fp32), ("onnx_int8", int8)):
        rep = evaluate_landmark_model(m, args.data, held)
        res[f"error_{name}"] = rep["overall"]
        res[f"error_{name}_per_group"] = rep["per_group"]
        print(name, json.dumps({k: round(v, 4) for k, v in rep["overall"].items()}), file=sys.stderr)

    # ---- speed per crop, same crops, one process
    crops = []
    for r in rows:
        if r["group"] in held:
            d = read_crops(args.data, r["source_id"])
            keep = d["ok"] & ~d["background"]
            crops.extend(d["crops"][keep])
    step = max(1, len(crops) // args.crops)
    crops = crops[::step][: args.crops]
    xs = [np.ascontiguousarray(cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)[None],
                               dtype=np.float32) / 255.0 for c in crops]
    big = [cv2.resize(c, (256, 256), interpolation=cv2.INTER_LINEAR) for c in crops]
    mp_static = MediaPipeHands(max_hands=1, static_image_mode=True, mirror=False, search_crops=False)
    mp_track = MediaPipeHands(max_hands=1, static_image_mode=False, mirror=False)
    found = {"static": 0, "calls": 0}

    def run_torch(x):
        with torch.inference_mode():
            net(torch.from_numpy(x))

    def run_mp_static(img):
        r = mp_static.process(Frame(0, img))
        found["static"] += r.present("left_hand") or r.present("right_hand")
        found["calls"] += 1

    t_ms = [0]

    def run_mp_track(img):
        t_ms[0] += 33
        mp_track.process(Frame(t_ms[0], img))

    methods = {"cnn_torch": (run_torch, xs), "cnn_onnx_fp32": (lambda x: fp32.run(x), xs),
               "cnn_onnx_int8": (lambda x: int8.run(x), xs), "mediapipe_static_crop": (run_mp_static, big),
               "mediapipe_tracking_crop": (run_mp_track, big)}
    for fn, items in methods.values():
        fn(items[0])
    times: dict[str, list[float]] = {k: [] for k in methods}
    for _ in range(args.rounds):
        for k, (fn, items) in methods.items():
            times[k] += _median_ms(fn, items, 1)
    speed = {k: float(np.median(v)) for k, v in times.items()}
    res["ms_per_crop"] = speed
    res["mediapipe_static_found_share"] = found["static"] / max(found["calls"], 1)
    for k in ("cnn_torch", "cnn_onnx_fp32", "cnn_onnx_int8"):
        res[f"speedup_{k}_vs_mediapipe_tracking"] = speed["mediapipe_tracking_crop"] / speed[k]
        res[f"speedup_{k}_vs_mediapipe_static"] = speed["mediapipe_static_crop"] / speed[k]
    print(json.dumps(speed), file=sys.stderr)
    mp_static.close()
    mp_track.close()

    # ---- whole-frame tracking on the held-out videos
    track = {}
    videos = list(dict.fromkeys(Path(r["path"]) for r in rows
                                if r["group"] in held and Path(r["path"]).suffix.lower() == ".mp4"))
    for video in videos:
        with open_source(video) as src:
            frames = list(src)
        start = int(len(frames) * args.skip_frac)
        frames = frames[start:start + args.frames]
        entry = {"frames": len(frames), "first_frame": start, "size": list(frames[0].size)}
        mp = MediaPipeHands(max_hands=1, static_image_mode=False)
        t = time.perf_counter()
        ref = [mp.process(f) for f in frames]
        entry["fps_mediapipe"] = len(frames) / (time.perf_counter() - t)
        mp.close()
        for engine in ("torch", "onnx"):
            be = CnnHandBackend(args.model, engine=engine, max_hands=1, smoothing=SmoothingConfig(kind="none"))
            t = time.perf_counter()
            out = [be.process(f) for f in frames]
            entry[f"fps_cnn_{engine}"] = len(frames) / (time.perf_counter() - t)
            entry[f"cnn_{engine}_counts"] = dict(be.counts)
            be.close()
        pairs = [(next(v for v in o.streams.values() if v is not None), next(v for v in r.streams.values()
                  if v is not None)) for o, r in zip(out, ref)
                 if any(v is not None for v in o.streams.values()) and any(v is not None for v in r.streams.values())]
        if pairs:
            wh = np.array(frames[0].size, dtype=np.float32)
            p = np.stack([a[:, :2] * wh for a, _ in pairs])
            q = np.stack([b[:, :2] * wh for _, b in pairs])
            entry["tracking_vs_mediapipe"] = landmark_errors(p, q)
        entry["downstream"] = downstream(args.classifier, frames, ref, out)
        entry["frames_with_hand_mediapipe"] = sum(any(v is not None for v in r.streams.values()) for r in ref)
        entry["frames_with_hand_cnn"] = sum(any(v is not None for v in o.streams.values()) for o in out)
        track[video.name] = entry
        print(video.name, json.dumps({k: v for k, v in entry.items() if k != "tracking_vs_mediapipe"}),
              file=sys.stderr)
    res["tracking"] = track
    text = json.dumps(res, indent=1, default=float)
    if args.json:
        args.json.write_text(text)
    print(text)


def downstream(classifier, frames, ref, out) -> dict:
    """Run one gesture classifier on the MediaPipe and the CNN landmark streams of the same frames."""
    from gestura.runtime.replay import replay as play_recognizer
    from gestura.landmarks.backend import sequence_from_frames
    from gestura.runtime.recognizer import Recognizer

    t = np.array([f.t_ms for f in frames], dtype=np.float64) / 1000.0
    rec = Recognizer.from_file(classifier)
    runs = {}
    for name, res in (("mediapipe", ref), ("cnn", out)):
        seq = sequence_from_frames(res, t, stream_names=("left_hand", "right_hand"), video_id=name)
        runs[name] = play_recognizer(rec, seq)
    top = {k: pb.probs.argmax(1) for k, pb in runs.items()}
    labels = runs["mediapipe"].labels
    n = len(top["mediapipe"])
    return {"classifier": str(classifier or "embedded default"), "updates": n,
            "decision_agreement": float((top["mediapipe"] == top["cnn"]).mean()) if n else float("nan"),
            **{f"{k}_top": labels[int(np.bincount(v, minlength=len(labels)).argmax())] if n else None
               for k, v in top.items()},
            **{f"commands_{k}": [c for _, c in pb.commands] for k, pb in runs.items()}}


if __name__ == "__main__":
    main()
