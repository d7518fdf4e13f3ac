"""Build the former, synthetic-only default model from the generator, reproducibly (into `runs/default-synthetic`).

    .venv/bin/python scripts/build_default_model.py [--out DIR] [--seed 0] [--epochs 14]

The embedded default (`src/gestura/assets/default/`) is now built from the real presentation streams by
`scripts/build_default_model_real.py`; this script stays as the synthetic baseline it is compared with.

Data: continuous generated sessions (`gestura.data.synthetic.make_session`, every presentation class, several
people of both swipe styles and both hands), resampled to 30 Hz by timestamps and cut into 24-frame windows
(0.8 s) every 2 frames. A window is labelled with a gesture when it holds >= 85% of that gesture's motion
(or 85% of the window is inside a longer pointing motion); windows that hold none of any motion are `unknown`
(idle hand, the return movement after a swipe, no hand); partial overlaps are left out as ambiguous. Training
uses `gestura.training.trainer.fit` on the `lstm` architecture; validation is on held-out generated people.
Everything is seeded: the same command writes the same weights (up to PyTorch's CPU determinism).

Hard negatives (`--negatives`, on by default when the shared data is there): real signing hands from
asl-traduttore `words`, only the clips recorded by `TheCamNelson` (MIT licence), concatenated and played back
at 30 fps like `bench/bench_runtime.py` does, as `unknown` windows, so signing, fidgeting and hands entering or
leaving are not taken for commands. The other signers stay held out for the false-activation benchmark.

This is a stand-in: real users should fine-tune with `gestura record` + `gestura train --init-from`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "runs" / "default-synthetic"
WINDOW, STRIDE, RATE = 24, 2, 30.0
N_TRAIN, N_VAL, SESSIONS, REPS = 14, 4, 2, 3
NEG_DIR = ROOT.parent / "shared" / "datasets" / "asl-traduttore" / "words"
NEG_BY = "TheCamNelson"
NEG_MAX = 3000


def session_windows(seq, pipeline, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`(N, W, F)` features, `(N, W)` mask and `(N,)` label indices (-1 = ambiguous) of one session."""
    from gestura.features.windows import resample_sequence

    rs = resample_sequence(seq, RATE)
    feats, valid = pipeline.frame_features(rs)
    motions = [(str(lb), float(a), float(b)) for lb, a, b in seq.attrs["motions"]]
    xs, ms, ys = [], [], []
    span = WINDOW / RATE
    for s in range(0, rs.n_frames - WINDOW + 1, STRIDE):
        t0, t1 = rs.t[s], rs.t[s + WINDOW - 1] + 1 / RATE
        y = labels.index("unknown")
        for lb, a, b in motions:
            ov = max(0.0, min(b, t1) - max(a, t0))
            if ov <= 0:
                continue
            need = 0.85 * min(b - a, span)
            y = labels.index(lb) if ov >= need else -1
            if ov >= need or ov > 0.15 * (b - a):
                break
        f, v = feats[s : s + WINDOW], valid[s : s + WINDOW]
        xs.append(pipeline.window_features(f, v))
        ms.append(v)
        ys.append(y)
    return np.stack(xs), np.stack(ms), np.array(ys)


def negative_windows(path: Path, pipeline, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`unknown` windows from real signing (one signer), clips concatenated at 30 fps: `(N, W, F)`, `(N, W)`."""
    from gestura.data.formats import load_dataset
    from gestura.data.streams import concat_clips

    seqs = [s for s in load_dataset(path).sequences if s.subject == NEG_BY]
    seqs = [seqs[i] for i in np.random.default_rng(seed).permutation(len(seqs))]
    stream = concat_clips(seqs)
    feats, valid = pipeline.frame_features(stream)
    xs, ms = [], []
    for s in range(0, stream.n_frames - WINDOW + 1, 4):
        xs.append(pipeline.window_features(feats[s : s + WINDOW], valid[s : s + WINDOW]))
        ms.append(valid[s : s + WINDOW])
    x, m = np.stack(xs), np.stack(ms)
    keep = m.any(axis=1)
    x, m = x[keep], m[keep]
    pick = np.random.default_rng(seed).permutation(len(x))[:NEG_MAX]
    return x[pick], m[pick]


def build(out: Path, seed: int, epochs: int, negatives: bool = True) -> dict:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from gestura.artifact import ModelBundle
    from gestura.data.synthetic import PRESENTATION_CLASSES, SWIPE_STYLES, SubjectStyle, make_session
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.training.callbacks import Callback
    from gestura.training.trainer import FitConfig, FitData, fit

    class Report(Callback):
        def on_epoch_end(self, state) -> None:
            r = state.metrics
            print(f"epoch {r['epoch']}: train_loss {r['train_loss']:.3f} val_loss {r.get('val_loss', 0):.3f} "
                  f"val_acc {r.get('val_accuracy', 0):.3f} ({r['seconds']:.0f} s)", file=sys.stderr, flush=True)

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    labels = list(PRESENTATION_CLASSES)
    gestures = [c for c in labels if c != "unknown"]
    pipeline = FeaturePipeline("feature-schema-v1")

    def people(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X, M, Y = [], [], []
        for i in range(lo, hi):
            rng = np.random.default_rng([seed, i])
            style = SubjectStyle.sample(rng, subject=f"p{i:02d}", handedness="left" if i % 4 == 3 else "right",
                                        swipe_style=SWIPE_STYLES[i % 2])
            for k in range(SESSIONS):
                script = list(np.random.default_rng([seed, i, k]).permutation(gestures * REPS))
                seq = make_session(script, style.for_session(rng) if k else style, seed=seed * 1000 + i * 10 + k)
                x, m, y = session_windows(seq, pipeline, labels)
                X.append(x), M.append(m), Y.append(y)
        x, m, y = np.concatenate(X), np.concatenate(M), np.concatenate(Y)
        keep = y >= 0
        return x[keep], m[keep], y[keep]

    t0 = time.perf_counter()
    xtr, mtr, ytr = people(0, N_TRAIN)
    xva, mva, yva = people(N_TRAIN, N_TRAIN + N_VAL)
    # Keep at most 3x as many `unknown` windows as the largest gesture class (the rest are near-duplicates).
    rng = np.random.default_rng(seed)
    unk = labels.index("unknown")
    cap = 3 * max(int((ytr == c).sum()) for c in range(len(labels)) if c != unk)
    idx = np.flatnonzero(ytr == unk)
    drop = rng.choice(idx, max(0, idx.size - cap), replace=False)
    keep = np.setdiff1d(np.arange(ytr.size), drop)
    xtr, mtr, ytr = xtr[keep], mtr[keep], ytr[keep]
    neg_info = None
    if negatives and NEG_DIR.is_dir():
        xn, mn = negative_windows(NEG_DIR, pipeline, seed)
        xtr, mtr = np.concatenate([xtr, xn]), np.concatenate([mtr, mn])
        ytr = np.concatenate([ytr, np.full(len(xn), unk)])
        neg_info = {"path": "asl-traduttore/words", "recorded_by": NEG_BY, "windows": int(len(xn)),
                    "licence": "MIT"}
    print(f"windows: train {len(ytr)}, val {len(yva)} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr,
          flush=True)

    def loader(x, m, y, shuffle: bool) -> DataLoader:
        ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(y.astype(np.int64)))
        return DataLoader(ds, batch_size=64, shuffle=shuffle, generator=torch.Generator().manual_seed(seed))

    model = create_model("lstm", input_dim=pipeline.dim, num_classes=len(labels))
    hist = fit(model, FitData(loader(xtr, mtr, ytr, True), loader(xva, mva, yva, False)),
               FitConfig(lr=2e-3, batch_size=64, label_smoothing=0.05, epochs=epochs, monitor="val_loss",
                         callbacks=(Report(),), seed=seed)).history
    model.eval()
    with torch.inference_mode():
        pv = torch.softmax(model(torch.from_numpy(xva), torch.from_numpy(mva)), -1).numpy()
    acc = float((pv.argmax(1) == yva).mean())
    from sklearn.metrics import f1_score

    f1 = float(f1_score(yva, pv.argmax(1), average="macro"))
    meta = {
        "data": "synthetic (gestura.data.synthetic.make_session): generated hands, no real people",
        "licence": "Apache-2.0",
        "built_by": "scripts/build_default_model.py",
        "seed": seed,
        "n_train_windows": int(len(ytr)),
        "n_val_windows": int(len(yva)),
        "val_people": N_VAL,
        "val_window_accuracy": round(acc, 4),
        "val_window_macro_f1": round(f1, 4),
        "best_epoch": hist.best_epoch,
        "hard_negatives": neg_info,
        "note": "synthetic training data; expect to fine-tune with `gestura record` + `gestura train --init-from`",
    }
    bundle = ModelBundle(model=model, pipeline=pipeline, labels=labels, window=WINDOW, stride=STRIDE,
                         meta=meta, resample_fps=RATE)
    bundle.save(out, card=False)
    (out / "README.md").write_text(model_card(meta), encoding="utf-8")
    return meta


def model_card(meta: dict) -> str:
    n = meta.get("hard_negatives")
    neg = ("" if not n else f"As `unknown` (hard negatives) it also saw {n['windows']} windows of real signing hands "
           f"(asl-traduttore words, signer {n['recorded_by']} only, {n['licence']} licence).\n")
    return f"""# gestura embedded default model

**Training data: synthetic.** Every gesture this model knows was generated by `gestura.data.synthetic`
(a kinematic 21-joint hand with per-person styles: hand size, camera distance, speed, swipe style, handedness,
tremor, landmark noise, dropped detections); it has never seen a real person perform a control gesture.
{neg}Expect it to work on the generated demo sessions and only roughly on a real webcam:
**fine-tune it on your own takes** with

    gestura record --label swiping_right --count 10 --out my_gestures --source webcam
    gestura train --data my_gestures --init-from src/gestura/assets/default ...

- Architecture: `lstm` (stacked LSTM 64-128-64, {meta['n_train_windows']} training windows), features
  `feature-schema-v1` (147 per frame), windows of {WINDOW} frames at {RATE:.0f} Hz (timestamps resampled).
- Classes: the ten seed-000 presentation classes (fist, swipes x4, zoom in/out, point_one, point_two, unknown).
- Held-out generated people ({meta['val_people']}): window accuracy {meta['val_window_accuracy']},
  macro-F1 {meta['val_window_macro_f1']}. These are numbers on synthetic data, not a claim about real users.
- Built reproducibly by `python scripts/build_default_model.py --seed {meta['seed']}`. Licence: Apache-2.0.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--no-negatives", action="store_true", help="synthetic data only")
    args = ap.parse_args()
    t0 = time.perf_counter()
    meta = build(args.out, args.seed, args.epochs, negatives=not args.no_negatives)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f"wrote {args.out} ({size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s: "
          f"val accuracy {meta['val_window_accuracy']}, macro-F1 {meta['val_window_macro_f1']}")


if __name__ == "__main__":
    main()
