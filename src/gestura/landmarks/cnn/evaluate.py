"""Error of the landmark CNN against its MediaPipe teacher, on crops of held-out videos.

Distances are 2-D (x, y) in crop units, normalised per hand by the teacher's landmark bounding box (its longer
side) and by palm length (wrist to middle-finger MCP). PCK@a is the share of landmarks closer than a x box size.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

FINGERS = {"wrist": [0], "thumb": [1, 2, 3, 4], "index": [5, 6, 7, 8], "middle": [9, 10, 11, 12],
           "ring": [13, 14, 15, 16], "pinky": [17, 18, 19, 20]}


def landmark_errors(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """`(N, 21, >=2)` predictions vs teacher -> mean error / box, / palm, PCK@0.1/0.2, per-finger error / box,
    z error / box (when both have z), and `n`."""
    if len(pred) == 0:
        return {"n": 0}
    d = np.linalg.norm(pred[..., :2] - target[..., :2], axis=-1)
    box = np.ptp(target[..., :2], axis=1).max(axis=1)[:, None]
    palm = np.linalg.norm(target[:, 9, :2] - target[:, 0, :2], axis=-1)[:, None]
    rel = d / np.maximum(box, 1e-6)
    out = {"n": int(len(pred)), "err_box": float(rel.mean()), "err_palm": float((d / np.maximum(palm, 1e-6)).mean()),
           "pck_0.1": float((rel < 0.1).mean()), "pck_0.2": float((rel < 0.2).mean()),
           "err_box_median_hand": float(np.median(rel.mean(axis=1)))}
    for name, idx in FINGERS.items():
        out[f"err_box_{name}"] = float(rel[:, idx].mean())
    if pred.shape[-1] > 2 and target.shape[-1] > 2:
        out["err_z_box"] = float((np.abs(pred[..., 2] - target[..., 2]) / np.maximum(box, 1e-6)).mean())
    return out


def predict_crops(model: Any, crops: np.ndarray, batch_size: int = 64,
                  flip: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`(N, S, S, 3)` uint8 crops -> landmarks `(N, 21, 3)` in crop units and confidence `(N, 21)` in [0, 1].

    `model` is a `HandLandmarkNet` (torch) or anything with `run(x (B, 3, S, S) float32) -> (lms, logits)`.
    `flip` averages each crop's prediction with that of its mirror image (x mirrored back): test-time
    augmentation at twice the cost."""
    import cv2
    import torch

    def run(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(model, torch.nn.Module):
            with torch.inference_mode():
                return tuple(t.numpy() for t in model(torch.from_numpy(x)))  # type: ignore[return-value]
        return model.run(x)

    size = int(model.input_size)
    lms, conf = [], []
    for i in range(0, len(crops), batch_size):
        batch = np.stack([c if c.shape[0] == size else cv2.resize(c, (size, size), interpolation=cv2.INTER_AREA)
                          for c in crops[i:i + batch_size]])
        x = np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0
        lm, lg = run(x)
        if flip:
            lm_f, lg_f = run(np.ascontiguousarray(x[..., ::-1]))
            lm_f = lm_f.copy()
            lm_f[..., 0] = 1.0 - lm_f[..., 0]
            lm, lg = (lm + lm_f) / 2, (lg + lg_f) / 2
        lms.append(lm)
        conf.append(0.5 * (1.0 + np.tanh(0.5 * lg)))
    if not lms:
        return np.zeros((0, 21, 3), np.float32), np.zeros((0, 21), np.float32)
    return np.concatenate(lms), np.concatenate(conf)


def evaluate_landmark_model(model: Any, data_dir: str | os.PathLike[str], groups: Sequence[str] | None = None,
                            flip: bool = False) -> dict[str, Any]:
    """Errors on the teacher crops of `groups` (default: the model's `held_out` groups, else all), overall and per
    group, plus the mean confidence on hand and background crops. `model` is a model folder or a loaded model;
    `flip` averages with the mirrored crop (see `predict_crops`)."""
    from gestura.errors import InputError
    from gestura.landmarks.cnn.heads import load_landmark_model
    from gestura.landmarks.cnn.teacher import read_crops, read_manifest

    info: dict[str, Any] = {}
    if isinstance(model, (str, Path)):
        model, info = load_landmark_model(model)
    rows = read_manifest(data_dir)
    wanted = list(groups) if groups else list(info.get("held_out") or sorted({r["group"] for r in rows}))
    unknown = set(wanted) - {r["group"] for r in rows}
    if unknown:
        raise InputError(f"{Path(data_dir) / 'manifest.csv'}: no group(s) {sorted(unknown)}")
    preds, targets, per_group = [], [], {}
    conf_hand, conf_bg = [], []
    for g in wanted:
        gp, gt = [], []
        for r in (r for r in rows if r["group"] == g):
            d = read_crops(data_dir, r["source_id"])
            keep = d["ok"] & ~d["background"]
            lm, conf = predict_crops(model, d["crops"], flip=flip)
            gp.append(lm[keep])
            gt.append(d["landmarks"][keep])
            conf_hand.append(conf[keep].mean(axis=1))
            conf_bg.append(conf[d["background"]].mean(axis=1))
        p, t = np.concatenate(gp), np.concatenate(gt)
        per_group[g] = landmark_errors(p, t)
        preds.append(p)
        targets.append(t)
    report: dict[str, Any] = dict(landmark_errors(np.concatenate(preds), np.concatenate(targets)))
    ch, cb = np.concatenate(conf_hand), np.concatenate(conf_bg)
    # None, not NaN, when a set has no such crops (photo groups often have no background): the report is saved as
    # strict JSON inside the model card
    report["confidence_hand"] = float(ch.mean()) if len(ch) else None
    report["confidence_background"] = float(cb.mean()) if len(cb) else None
    return {"groups": wanted, "overall": report, "per_group": per_group}


def teacher_flip_floor(data_dir: str | os.PathLike[str], groups: Sequence[str]) -> dict[str, Any]:
    """How far the teacher disagrees with itself: MediaPipe Hands (static mode) on each stored hand crop and on
    its mirror image (x mirrored back), errors of the second vs the first (`floor`, the same metrics as
    `landmark_errors`), and of the crop pass vs the stored labels from the whole frame (`crop_vs_label`).
    A student trained on the teacher's labels cannot be measured below this noise. `n_missed` counts crops where
    either pass found no hand."""
    from gestura.capture.frame import Frame
    from gestura.landmarks.cnn.teacher import _static_teacher, read_crops, read_manifest

    teacher = _static_teacher(1)  # one hand per crop: no strip search for a second
    rows = read_manifest(data_dir)
    first, second, labels, missed = [], [], [], 0
    for r in (r for r in rows if r["group"] in set(groups)):
        d = read_crops(data_dir, r["source_id"])
        for crop, lab in zip(d["crops"][d["ok"] & ~d["background"]], d["landmarks"][d["ok"] & ~d["background"]]):
            a = _one_hand(teacher.process(Frame(t_ms=0, rgb=np.ascontiguousarray(crop))))
            b = _one_hand(teacher.process(Frame(t_ms=0, rgb=np.ascontiguousarray(crop[:, ::-1]))))
            if a is None or b is None:
                missed += 1
                continue
            b = b.copy()
            b[:, 0] = 1.0 - b[:, 0]
            first.append(a)
            second.append(b)
            labels.append(lab)
    if not first:
        return {"n_missed": missed, "floor": {"n": 0}, "crop_vs_label": {"n": 0}}
    a, b, lab = np.stack(first), np.stack(second), np.stack(labels)
    return {"n_missed": missed, "floor": landmark_errors(b, a), "crop_vs_label": landmark_errors(a, lab)}


def _one_hand(res: Any) -> np.ndarray | None:
    """The most confident hand of a teacher result (crops hold one hand), or None."""
    hands = [(res.handedness.get(k, 0.0), v) for k, v in res.streams.items() if v is not None]
    return max(hands, key=lambda h: h[0])[1] if hands else None
