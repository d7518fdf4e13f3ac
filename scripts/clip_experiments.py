"""Cross-person clip test on presentation-clips (issue 16): train on two people's takes, test on the third's.

For each held-out person (josh, meric, anja) a model is trained on the other two people's takes of the classes all
three share and scored on every take of the held-out person (accuracy, macro-F1, per-class recall, confusion).
meric's left-hand takes are either mirrored into canonical right-hand space with the mirror label
(`gestura.features.handedness.mirror_sequence`: a left hand is the mirror image of a right hand, so his left
swipe_left is a right swipe_right; his left rotate_left mirrors to rotate_right, which nobody else recorded, so
those 20 takes drop out) or excluded. Two learners share the table:
- `lstm`: the project's training path, `fit_clips` on feature-schema-v1 windows covering the whole take (each take
  resampled to 30 Hz by its timestamps; one window of `--window` frames per take, scored with `window_batch`);
- `logreg`: a non-deep anchor, logistic regression on the take resampled to 16 frames and flattened (16 x 63
  wrist-relative, palm-scaled coordinates, standardised).
Settings are picked without the held-out person: for each fold, every candidate is trained on one training person
and scored on the other (both ways), and the best mean macro-F1 wins (`logreg`: C; `lstm`: epochs when `--epochs`
lists several; the default fixes 20 epochs and one small LSTM layer up front, since each lstm fit costs minutes on
the shared 2-core machine).

The takes are wrist-relative (no travel across the image), so feature-schema-v1's wrist_trajectory and
wrist_vel_raw blocks are zero here: a swipe is seen only as the hand's turn and the fingers' motion about the wrist.

Usage (the run in docs/results.md: 29 minutes wall at nice 15 on the shared 2-core machine, mostly lstm fits;
then the second lstm seed, 9 minutes; `--report` pools the runs into one table):
  nice -n 15 .venv/bin/python scripts/clip_experiments.py --out runs/clip-experiments/metrics.json
  nice -n 15 .venv/bin/python scripts/clip_experiments.py --learners lstm --seeds 1 --conditions mirror \
      --out runs/clip-experiments/metrics-lstm-seed1.json
  .venv/bin/python scripts/clip_experiments.py --report runs/clip-experiments/metrics*.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from gestura.data.formats.presentation_clips import read_presentation_clips
from gestura.evaluation.metrics import evaluate
from gestura.features.handedness import mirror_sequence
from gestura.features.pipeline import FeaturePipeline
from gestura.features.windows import resample_length, resample_sequence, window_batch
from gestura.landmarks.sequence import LandmarkSequence

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "presentation-clips"
PEOPLE = ("josh", "meric", "anja")
CONDITIONS = ("mirror", "exclude")
RATE_HZ = 30.0
FLAT_FRAMES = 16


# ============================================================================ data
def hand_of(seq: LandmarkSequence) -> np.ndarray:
    """The one hand stream of a take `(T, 21, 3)`."""
    (name,) = seq.hands()
    return seq.streams[name]


def recentre(seq: LandmarkSequence) -> LandmarkSequence:
    """Put the wrist back at the origin (mirroring maps x -> 1 - x, a reflection plus a shift)."""
    (name,) = seq.hands()
    xyz = seq.streams[name]
    return replace(seq, streams={name: xyz - xyz[:, :1]})


def load_takes(root: Path, timing: str) -> list[LandmarkSequence]:
    """Every take, resampled to 30 Hz by its timestamps."""
    return [resample_sequence(s, RATE_HZ) for s in read_presentation_clips(root, timing=timing)]


def canonical_takes(takes: Sequence[LandmarkSequence], condition: str) -> tuple[list[LandmarkSequence], int]:
    """Right-hand takes as they are, left-hand takes mirrored (label too) or dropped: -> (takes, n_left)."""
    out: list[LandmarkSequence] = []
    n_left = 0
    for s in takes:
        if s.hands() == ["left_hand"]:
            n_left += 1
            if condition == "exclude":
                continue
            s = recentre(mirror_sequence(s))
        out.append(s)
    return out, n_left


def shared_classes(takes: Sequence[LandmarkSequence]) -> list[str]:
    """Classes every person has takes of."""
    by: dict[str, set[str]] = {}
    for s in takes:
        by.setdefault(str(s.subject), set()).add(str(s.label))
    return sorted(set.intersection(*by.values()))


# ============================================================================ learners
def flat(takes: Sequence[LandmarkSequence]) -> np.ndarray:
    """`(N, 16 * 63)`: each take resampled to 16 frames and flattened."""
    return np.stack([resample_length(hand_of(s), FLAT_FRAMES).reshape(-1) for s in takes])


def logreg_proba(train: Sequence[LandmarkSequence], y: np.ndarray, test: Sequence[LandmarkSequence],
                 n_classes: int, c: float, seed: int) -> np.ndarray:
    """Logistic regression on standardised flattened coordinates -> `(N_test, K)` probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000, class_weight="balanced",
                                                             random_state=seed))
    clf.fit(flat(train), y)
    proba = np.zeros((len(test), n_classes))
    proba[:, clf.classes_] = clf.predict_proba(flat(test))
    return proba


LSTM_PARAMS: dict[str, Any] = {"units": (64,), "dense": (32,)}
"""One 64-unit LSTM layer (the registry default stacks 64-128-64, about 4x the compute: too slow for this CPU)."""


def lstm_proba(train: Sequence[LandmarkSequence], labels: list[str], test: Sequence[LandmarkSequence],
               window: int, epochs: int, seed: int) -> tuple[np.ndarray, float]:
    """`fit_clips` (lstm, feature-schema-v1) on the takes, then one whole-take window per test take."""
    from gestura.training.enroll import fit_clips

    pipeline = FeaturePipeline("feature-schema-v1")
    res = fit_clips(list(train), labels, model="lstm", model_params=LSTM_PARAMS, pipeline=pipeline, window=window,
                    resample_fps=RATE_HZ, epochs=epochs, seed=seed)
    xs, ms = [], []
    for s in test:
        feats, valid = pipeline.frame_features(s)
        x, m, _ = window_batch(pipeline, feats, valid, [s.n_frames - 1], window)
        xs.append(x[0])
        ms.append(m[0])
    return res.bundle.predict_proba(np.stack(xs), np.stack(ms)), res.seconds


def run_learner(kind: str, setting: float, train: Sequence[LandmarkSequence], test: Sequence[LandmarkSequence],
                labels: list[str], seed: int, window: int) -> tuple[np.ndarray, float]:
    """Train `kind` with its one tuned `setting` (logreg: C, lstm: epochs) -> (test probabilities, fit seconds)."""
    index = {lb: i for i, lb in enumerate(labels)}
    if kind == "logreg":
        t0 = time.perf_counter()
        y = np.array([index[str(s.label)] for s in train])
        return logreg_proba(train, y, test, len(labels), setting, seed), time.perf_counter() - t0
    return lstm_proba(train, labels, test, window, int(setting), seed)


def macro_f1(takes: Sequence[LandmarkSequence], proba: np.ndarray, labels: list[str]) -> float:
    index = {lb: i for i, lb in enumerate(labels)}
    return evaluate([index[str(s.label)] for s in takes], proba, labels).macro_f1


def select(kind: str, grid: Sequence[float], train: Sequence[LandmarkSequence], labels: list[str], seed: int,
           window: int) -> tuple[float, dict[str, float]]:
    """The setting with the best mean macro-F1 over train-on-one, score-on-the-other among the training people."""
    if len(grid) == 1:
        return grid[0], {}
    people = sorted({str(s.subject) for s in train})
    scores: dict[str, float] = {}
    for setting in grid:
        f1s = []
        for p in people:
            tr = [s for s in train if s.subject != p]
            va = [s for s in train if s.subject == p]
            proba, _ = run_learner(kind, setting, tr, va, labels, seed, window)
            f1s.append(macro_f1(va, proba, labels))
        scores[f"{setting:g}"] = float(np.mean(f1s))
    best = max(grid, key=lambda g: scores[f"{g:g}"])
    return best, scores


# ============================================================================ experiment
def run(args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.perf_counter()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    takes = load_takes(Path(args.data), args.timing)
    out: dict[str, Any] = {"data": str(args.data), "timing": args.timing, "window": args.window,
                           "lstm_params": {k: list(v) for k, v in LSTM_PARAMS.items()},
                           "seeds": args.seeds, "grids": {"lstm_epochs": args.epochs, "logreg_C": args.c},
                           "folds": []}
    grids = {"logreg": args.c, "lstm": [float(e) for e in args.epochs]}
    for condition in args.conditions:
        canon, n_left = canonical_takes(takes, condition)
        labels = shared_classes(canon)
        kept = [s for s in canon if str(s.label) in labels]
        out.setdefault("classes", labels)
        out[f"dropped_{condition}"] = {"left_takes": n_left, "unshared_takes": len(canon) - len(kept)}
        print(f"[{condition}] classes {labels}; {len(kept)} takes ({len(canon) - len(kept)} of unshared classes "
              f"dropped; {n_left} left-hand takes {'mirrored' if condition == 'mirror' else 'excluded'})",
              flush=True)
        for held in args.people:
            train = [s for s in kept if s.subject != held]
            test = [s for s in kept if s.subject == held]
            y = [labels.index(str(s.label)) for s in test]
            for kind in args.learners:
                for seed in args.seeds if kind == "lstm" else args.seeds[:1]:
                    setting, inner = select(kind, grids[kind], train, labels, seed, args.window)
                    proba, secs = run_learner(kind, setting, train, test, labels, seed, args.window)
                    rep = evaluate(y, proba, labels, subjects=[s.session for s in test])
                    row = {"condition": condition, "held_out": held, "learner": kind, "seed": seed,
                           "setting": setting, "inner_macro_f1": inner, "n_train": len(train),
                           "fit_seconds": round(secs, 1), **rep.to_dict()}
                    out["folds"].append(row)
                    print(f"  {condition:7s} test {held:5s} {kind:6s} seed {seed} setting {setting:g} "
                          f"(inner {inner}) acc {rep.accuracy:.3f} macro-F1 {rep.macro_f1:.3f} "
                          f"n {rep.n} fit {secs:.0f}s [{time.perf_counter() - t_start:.0f}s]", flush=True)
    out["seconds"] = round(time.perf_counter() - t_start, 1)
    return out


def table(res: dict[str, Any]) -> str:
    """Markdown: one row per condition x held-out person x learner, mean (min-max) over seeds."""
    labels = res["classes"]
    head = ("| left hand | test person | learner | setting | n | accuracy | macro-F1 | "
            + " | ".join(f"recall {lb}" for lb in labels) + " |")
    lines = [head, "|" + "---|" * (7 + len(labels))]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in res["folds"]:
        groups.setdefault((r["condition"], r["held_out"], r["learner"]), []).append(r)

    def cell(vals: list[float]) -> str:
        m = float(np.mean(vals))
        return f"{m:.2f}" if len(vals) == 1 or max(vals) - min(vals) < 0.005 else \
            f"{m:.2f} ({min(vals):.2f}-{max(vals):.2f})"

    for (cond, held, kind), rows in groups.items():
        rec = [cell([r["per_class_recall"].get(lb, float("nan")) for r in rows]) for lb in labels]
        sets = "/".join(sorted({f"{r['setting']:g}" for r in rows}))
        what = "epochs " if kind == "lstm" else "C "
        lines.append(f"| {cond} | {held} | {kind} | {what}{sets} | {rows[0]['n']} | "
                     f"{cell([r['accuracy'] for r in rows])} | {cell([r['macro_f1'] for r in rows])} | "
                     + " | ".join(rec) + " |")
    return "\n".join(lines)


def confusions(res: dict[str, Any]) -> str:
    """Summed confusion (rows = true, cols = predicted) per condition, held-out person and learner."""
    labels = res["classes"]
    short = [lb.replace("_", " ") for lb in labels]
    blocks = []
    groups: dict[tuple[str, str, str], np.ndarray] = {}
    for r in res["folds"]:
        key = (r["condition"], r["held_out"], r["learner"])
        groups[key] = groups.get(key, 0) + np.array(r["confusion"])
    per_session: dict[tuple[str, str, str], dict[str, list[float]]] = {}
    for r in res["folds"]:
        for sess, v in r["per_subject"].items():
            per_session.setdefault((r["condition"], r["held_out"], r["learner"]), {}).setdefault(sess, []).append(
                v["accuracy"])
    for (cond, held, kind), cm in groups.items():
        accs = ", ".join(f"{k} {np.mean(v):.2f}" for k, v in per_session.get((cond, held, kind), {}).items())
        blocks.append(f"{cond} / test {held} / {kind}: accuracy per session {accs}; "
                      f"rows true, cols predicted: {', '.join(short)}")
        blocks += ["  " + " ".join(f"{v:4d}" for v in row) + f"   {lb}" for row, lb in zip(cm.tolist(), labels)]
    return "\n".join(blocks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--out", default=str(ROOT / "runs" / "clip-experiments" / "metrics.json"))
    ap.add_argument("--timing", default="record_s", choices=("record_s", "fps"))
    ap.add_argument("--window", type=int, default=60, help="frames at 30 Hz: 60 covers a whole 2 s take")
    ap.add_argument("--epochs", type=int, nargs="+", default=[20], help="lstm epochs (several: inner selection)")
    ap.add_argument("--c", type=float, nargs="+", default=[0.01, 0.1, 1.0], help="logreg C grid")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--people", nargs="+", default=list(PEOPLE))
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    ap.add_argument("--learners", nargs="+", default=["logreg", "lstm"], choices=("logreg", "lstm"))
    ap.add_argument("--report", metavar="JSON", nargs="+", help="print the tables of finished runs (their folds "
                    "pooled, e.g. one run per seed) and stop")
    args = ap.parse_args()
    if args.report:
        runs = [json.loads(Path(p).read_text()) for p in args.report]
        res = {**runs[0], "folds": [f for r in runs for f in r["folds"]]}
        print(table(res))
        print(confusions(res))
        return
    res = run(args)
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=1))
    print(table(res))
    print(confusions(res))
    print(f"total {res['seconds']:.0f}s -> {path}")


if __name__ == "__main__":
    main()
