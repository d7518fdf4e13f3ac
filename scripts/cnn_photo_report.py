"""Landmark CNN on hands it never saw: error vs the teacher per source, with and without test-time flip, beside
the teacher's own crop-vs-mirror disagreement (the floor) and the mean-hand baseline.

    PYTHONPATH=src python scripts/cnn_photo_report.py --data runs/lmk/data --model runs/lmk/photos128 \
        --json runs/lmk/photos128_report.json

Groups come from the model's `held_out` list (test) and `val` list (validation), so the numbers are on whole
videos and whole photo groups (inferred people, phone-photo days) that training never saw. A source is a video
(its own group) or a photo collection (the group name before `__`). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def _source(group: str, videos: set[str]) -> str:
    return group if group in videos else group.split("__")[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--no-floor", action="store_true", help="skip the teacher's flip floor (MediaPipe passes)")
    args = ap.parse_args(argv)

    import torch

    from gestura.landmarks.cnn.evaluate import evaluate_landmark_model, landmark_errors, teacher_flip_floor
    from gestura.landmarks.cnn.heads import load_landmark_model
    from gestura.landmarks.cnn.teacher import read_crops, read_manifest

    torch.set_num_threads(1)
    model, info = load_landmark_model(args.model)
    rows = read_manifest(args.data)
    videos = {r["group"] for r in rows if r.get("kind") == "video"}
    train_groups = set(info.get("train_groups") or [])
    train = [read_crops(args.data, r["source_id"]) for r in rows if r["group"] in train_groups]
    mean_hand = np.concatenate([d["landmarks"][d["ok"] & ~d["background"]] for d in train]).mean(axis=0)
    report: dict[str, object] = {"model": str(args.model), "best_epoch": info.get("best_epoch"),
                                 "n_train_crops": info.get("n_train_crops"), "sets": {}}
    lines = ["| set | source | hands | err/box | flip TTA err/box | PCK@0.1 | PCK@0.2 | wrist | thumb | index | "
             "middle | ring | pinky | mean hand | teacher flip floor | teacher crop vs label |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for set_name, groups in (("test", info.get("held_out") or []), ("val", info.get("val") or [])):
        by_source: dict[str, list[str]] = {}
        for g in groups:
            by_source.setdefault(_source(g, videos), []).append(g)
        out = {}
        for src, gs in sorted(by_source.items()):
            plain = evaluate_landmark_model(model, args.data, gs)["overall"]
            flip = evaluate_landmark_model(model, args.data, gs, flip=True)["overall"]
            target = np.concatenate([d["landmarks"][d["ok"] & ~d["background"]] for d in
                                     (read_crops(args.data, r["source_id"]) for r in rows if r["group"] in gs)])
            base = landmark_errors(np.broadcast_to(mean_hand, target.shape), target)
            floor = None if args.no_floor else teacher_flip_floor(args.data, gs)
            out[src] = {"groups": gs, "plain": plain, "flip": flip, "mean_hand": base, "teacher": floor}
            fl = f"{floor['floor']['err_box']:.3f} (n={floor['floor']['n']})" if floor and floor["floor"]["n"] else "-"
            cv = f"{floor['crop_vs_label']['err_box']:.3f}" if floor and floor["crop_vs_label"]["n"] else "-"
            lines.append(f"| {set_name} | {src} | {plain['n']} | **{plain['err_box']:.3f}** | {flip['err_box']:.3f} "
                         f"| {plain['pck_0.1']:.2f} | {plain['pck_0.2']:.2f} | "
                         + " | ".join(f"{plain[f'err_box_{k}']:.3f}" for k in
                                      ("wrist", "thumb", "index", "middle", "ring", "pinky"))
                         + f" | {base['err_box']:.3f} | {fl} | {cv} |")
        report["sets"][set_name] = out  # type: ignore[index]
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
