"""Issue 9 experiments on ../shared/datasets/presentation-streams: event-level results for docs/results.md.

    nice .venv/bin/python scripts/stream_experiments.py knn --out runs/issue9/knn.json
    nice .venv/bin/python scripts/stream_experiments.py model --model lstm --out runs/issue9/lstm.json
    nice .venv/bin/python scripts/stream_experiments.py enroll --model lstm --out runs/issue9/enroll_lstm.json

Folds: leave-one-person-out both directions (train joschua -> test meric, train meric -> test joschua) and
session-wise within joschua (sessions 1+2 -> 3). Decision settings are either the defaults or tuned on the
TRAINING person only (replaying recorded probabilities through the runtime's ActivationController).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "presentation-streams"
SIGNING = ROOT.parent / "shared" / "datasets" / "asl-traduttore" / "words"


def generated_windows(n: int, wcfg: Any, rng: np.random.Generator, seed: int = 0) -> list[Any]:
    from gestura.training.presentation import generated_windows as gen

    return gen(n, wcfg, rng, seed)


def signing_negatives(n: int, wcfg: Any, rng: np.random.Generator) -> list[Any]:
    from gestura.training.presentation import signing_windows

    return signing_windows(n, wcfg, rng, SIGNING, "TheCamNelson")

FOLDS = {
    "joschua->meric": (["joschua-1", "joschua-2", "joschua-3"], ["meric-1", "meric-2"]),
    "meric->joschua": (["meric-1", "meric-2"], ["joschua-1", "joschua-2", "joschua-3"]),
    "joschua s1+s2->s3": (["joschua-1", "joschua-2"], ["joschua-3"]),
}


def load_streams(path: Path = DATA) -> list[Any]:
    from gestura.data.formats import load_dataset

    return list(load_dataset(path).sequences)


def by_session(seqs: list[Any], sessions: list[str]) -> list[Any]:
    return [s for s in seqs if s.session in sessions]


# ----------------------------------------------------------------------------------------------- k-NN baseline
def handcrafted(win: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Simple window features of one hand `(W, 21, 3)` -> `(22,)`: wrist displacement/range, orientation change,
    finger extension at start and end, speed; all in palm lengths (scale-free)."""
    idx = np.flatnonzero(present)
    if idx.size < 2:
        return np.zeros(22, np.float32)
    h = win[idx, :, :2]
    palm = np.median(np.linalg.norm(h[:, 9] - h[:, 0], axis=1)) + 1e-6
    w = h[:, 0] / palm
    ang = np.unwrap(np.arctan2(*(h[:, 9] - h[:, 0]).T[::-1]))
    ext = np.linalg.norm(h[:, [4, 8, 12, 16, 20]] - h[:, [0]], axis=2) / palm
    mid = len(w) // 2
    spd = np.linalg.norm(np.diff(w, axis=0), axis=1).mean()
    return np.concatenate([w[-1] - w[0], w[mid] - w[0], w.max(0) - w.min(0), [ang[-1] - ang[0]],
                           [np.cos(ang[-1]), np.sin(ang[-1])], ext[0], ext[-1], [spd],
                           (h[-1, 8] - h[0, 8]) / palm]).astype(np.float32)


def acting_hand(seq: Any) -> tuple[np.ndarray, np.ndarray]:
    names = seq.hands()
    best = max(names, key=lambda k: seq.present[k].sum())
    return seq.streams[best], seq.present[best]


def knn_fit(clips: list[Any], k: int = 5) -> Any:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = np.stack([handcrafted(*acting_hand(c)) for c in clips])
    y = np.array([c.label for c in clips])
    return make_pipeline(StandardScaler(), KNeighborsClassifier(k)).fit(X, y)


def play_windows(seq: Any, labels: list[str], probs_fn: Any, window: int, rate_hz: float = 30.0) -> Any:
    """Offline playback of the k-NN baseline (not a runtime model): probabilities of the window ending at every
    frame of the stream resampled to `rate_hz`, stamped with the first recorded timestamp at or after it."""
    from gestura.data.prompts import sequence_prompts
    from gestura.features.windows import resample_sequence
    from gestura.runtime.replay import Playback

    rs = resample_sequence(seq, rate_hz)
    ends = np.arange(window - 1, rs.n_frames)
    probs = np.asarray(probs_fn(rs, ends), dtype=np.float32)
    j = np.clip(np.searchsorted(seq.t, rs.t[ends] - 1e-9, side="left"), 0, seq.n_frames - 1)
    t = np.maximum.accumulate(np.asarray(seq.t, dtype=np.float64)[j])
    keep = np.concatenate([[True], np.diff(t) > 0])
    return Playback(stream=str(seq.video_id), subject=seq.subject, session=seq.session, labels=list(labels),
                    t=t[keep], probs=probs[keep], prompts=sequence_prompts(seq), duration_s=float(seq.duration),
                    start_s=float(seq.t[0]))


def knn_probs_fn(model: Any, labels: list[str], window: int) -> Any:
    order = [list(model.classes_).index(lb) for lb in labels]

    def fn(rs: Any, ends: np.ndarray) -> np.ndarray:
        xyz, pres = acting_hand(rs)
        X = np.stack([handcrafted(xyz[e - window + 1 : e + 1], pres[e - window + 1 : e + 1]) for e in ends])
        return model.predict_proba(X)[:, order]

    return fn


def run_knn(seqs: list[Any], out: Path) -> dict[str, Any]:
    from gestura.data.streams import StreamWindowConfig, cut_dataset_windows
    from gestura.evaluation.events import merge_scores, score_playback
    from gestura.evaluation.tuning import tune_decision
    from gestura.runtime.replay import replay_decisions
    from gestura.runtime.decision import DecisionConfig

    wcfg = StreamWindowConfig()
    base = DecisionConfig(smoothing="ema", alpha=0.5, threshold=0.9, min_frames=5, cooldown_s=1.0, rearm=0.4)
    results: dict[str, Any] = {"method": "k-NN (k=5) on 22 hand-crafted window features", "window": wcfg.to_dict()}
    for fold, (train_s, test_s) in FOLDS.items():
        t0 = time.perf_counter()
        train, test = by_session(seqs, train_s), by_session(seqs, test_s)
        clips = cut_dataset_windows(train, wcfg, np.random.default_rng(0))
        labels = sorted({c.label for c in clips})
        model = knn_fit(clips)
        # decision settings tuned on the training person: leave-one-session-out playbacks inside the training set
        inner = []
        for held in train:
            m = knn_fit([c for c in clips if c.attrs["stream"] != held.video_id])
            inner.append(play_windows(held, labels, knn_probs_fn(m, labels, wcfg.window_frames),
                                      wcfg.window_frames, wcfg.rate_hz))
        tuned, summary = tune_decision(inner, base, thresholds=(0.6, 0.7, 0.8, 0.9, 1.0), min_frames=(1, 3, 5, 8))
        pbs = [play_windows(s, labels, knn_probs_fn(model, labels, wcfg.window_frames), wcfg.window_frames,
                            wcfg.rate_hz) for s in test]
        row = {}
        for name, cfg in (("issue_settings", base), ("tuned_on_train", tuned)):
            scores = [score_playback(pb, replay_decisions(pb.t, pb.probs, labels, cfg, pb.motion)) for pb in pbs]
            row[name] = merge_scores(scores).to_dict()
        row["tuning"] = {k: v for k, v in summary.items() if k != "on_training"}
        row["seconds"] = round(time.perf_counter() - t0, 1)
        results[fold] = row
        print(fold, {k: (round(v["hit_rate"], 3), round(v["confusion_rate"], 3), v["false_per_hour"])
                     for k, v in row.items() if isinstance(v, dict) and "hit_rate" in v}, file=sys.stderr)
    out.parent.mkdir(parents=True, exist_ok=True)
    from gestura.io import write_json

    write_json(out, results)
    return results


def _fmt(d: dict[str, Any]) -> str:
    fph = "n/a" if d["false_per_hour"] is None else f"{d['false_per_hour']:.0f}"
    lat = "n/a" if d["latency_p50_s"] is None else f"{d['latency_p50_s']:.2f} / {d['latency_p90_s']:.2f}"
    return f"{d['hit_rate']:.2f} | {d['confusion_rate']:.2f} | {d['miss_rate']:.2f} | {fph} | {lat}"


def markdown_table(folder: Path) -> str:
    """Markdown rows from every result JSON in `folder` (knn.json, <model>.json, enroll_<model>.json)."""
    import json

    rows = ["| method | fold | decision settings | hit | confused | missed | false/h rest | latency p50 / p90 s |",
            "|---|---|---|---|---|---|---|---|"]
    enrol = ["| model | fold | K | decision settings | hit | confused | missed | false/h rest | latency p50 / p90 s "
             "| adapt s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for f in sorted(Path(folder).glob("*.json")):
        d = json.loads(f.read_text())
        name = d.get("model") or "k-NN baseline"
        if f.stem.startswith("enroll") and "adapt" in d:
            name += f" (stage B {d['adapt']['epochs']} ep, lr {d['adapt']['lr']:g}, backbone x{d['adapt']['backbone_lr_mult']:g})"
        for fold, row in d.items():
            if not isinstance(row, dict) or fold in ("adapt", "params", "window"):
                continue
            if f.stem.startswith("enroll"):
                for k, r in row.items():
                    for setting, v in r.items():
                        if isinstance(v, dict) and "hit_rate" in v:
                            shown = "tuned_on_takes" if setting == "tuned_on_train" else setting
                            enrol.append(f"| {name} | {fold} | {k[2:]} | {shown} | {_fmt(v)} | {r['adapt_seconds']} |")
                continue
            for setting, v in row.items():
                if isinstance(v, dict) and "hit_rate" in v:
                    rows.append(f"| {name} | {fold} | {setting} | {_fmt(v)} |")
    return "\n".join(rows) + "\n\n" + "\n".join(enrol)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["knn", "model", "enroll", "table"])
    ap.add_argument("--model", default="lstm")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--epochs", type=int, default=25)
    ap.add_argument("--pretrain", action="store_true", help="pretrain on generated gestures, then fine-tune")
    ap.add_argument("--augment", action="store_true", help="on-the-fly augmentation (slower)")
    ap.add_argument("--motion-amplitude", type=float, default=0.0,
                    help="with --augment: also scale the hand's travel by exp(U(-a, a))")
    ap.add_argument("--mix-generated", type=int, default=0, metavar="N",
                    help="add windows of N generated people's sessions (all 11 gesture classes) to every training "
                         "set: the recipe of the packaged default")
    ap.add_argument("--signing-negatives", type=int, default=0, metavar="N",
                    help="add N unknown windows of real signing (as the packaged default does)")
    ap.add_argument("--seed", type=int, default=0, help="seed of window sampling and training")
    ap.add_argument("--tune-on-held-session", action="store_true",
                    help="also tune decisions on a held-out session of the training person (one more training "
                         "per fold, on the other sessions), not on the training playbacks")
    ap.add_argument("--base", default=None, help="enroll: stem of the saved leave-one-person-out bundles")
    ap.add_argument("--adapt-epochs", type=int, default=6, help="enroll: stage-B epochs")
    ap.add_argument("--adapt-lr", type=float, default=2e-3)
    ap.add_argument("--backbone-mult", type=float, default=0.1)
    args = ap.parse_args(argv)
    if args.what == "table":
        print(markdown_table(args.out))
        return 0
    global TRAIN_WINDOWS, PRETRAIN, AUGMENT, MIX_GENERATED, TUNE_HELD
    PRETRAIN, AUGMENT, MIX_GENERATED, TUNE_HELD = (args.pretrain, args.augment, args.mix_generated,
                                                   args.tune_on_held_session)
    global SIGNING_NEGATIVES, SEED, MOTION_AMPLITUDE
    SIGNING_NEGATIVES, SEED, MOTION_AMPLITUDE = args.signing_negatives, args.seed, args.motion_amplitude
    global BASE_NAME
    BASE_NAME = args.base
    ADAPT.update(epochs=args.adapt_epochs, lr=args.adapt_lr, backbone_lr_mult=args.backbone_mult)
    from gestura.data.streams import StreamWindowConfig

    TRAIN_WINDOWS = StreamWindowConfig(stride_s=0.25, unknown_per_positive=1.5)
    seqs = load_streams(args.data)
    if args.what == "knn":
        run_knn(seqs, args.out)
    elif args.what == "model":
        run_model(seqs, args.model, args.out, epochs=args.epochs)
    else:
        run_enroll(seqs, args.model, args.out, epochs=args.epochs)
    return 0


def play_bundle(bundle: Any, seqs: list[Any]) -> list[Any]:
    """Batched playback through the runtime (smoothing, resampling, features, model) with default decisions."""
    from gestura.runtime.replay import replay as play_recognizer
    from gestura.runtime.engines import TorchEngine
    from gestura.runtime.recognizer import Recognizer

    rec = Recognizer(TorchEngine(bundle, num_threads=1))
    return [play_recognizer(rec, s) for s in seqs]


def score_settings(pbs: list[Any], labels: list[str], settings: dict[str, Any]) -> dict[str, Any]:
    """Merged event scores of the playbacks under each named decision config."""
    from gestura.evaluation.events import merge_scores, score_playback
    from gestura.runtime.replay import replay_decisions

    return {name: merge_scores(score_playback(pb, replay_decisions(pb.t, pb.probs, labels, cfg, pb.motion))
                               for pb in pbs).to_dict() for name, cfg in settings.items()}


def score_both(pbs: list[Any], labels: list[str], default: Any, tuned: Any) -> dict[str, Any]:
    return score_settings(pbs, labels, {"default_thresholds": default, "tuned_on_train": tuned})


_PRETRAINED: dict[str, Any] = {}


def runtime_smoothed(seqs: list[Any]) -> list[Any]:
    """The streams through the runtime's default landmark filter, so training windows look like what the
    Recognizer's model sees (playback itself gets the raw streams: the Recognizer smooths them)."""
    from gestura.landmarks.smoothing import SmoothingConfig
    from gestura.runtime.recognizer import smooth_sequence

    return [smooth_sequence(s, SmoothingConfig()) for s in seqs]


def pretrain(model: str, epochs: int, seed: int = 0) -> Any:
    """A model pretrained on generated gestures of the streams' classes (both swipe styles, both hands)."""
    from gestura.data.synthetic import STREAM_CLASSES, make_dataset
    from gestura.training.enroll import fit_clips

    if model not in _PRETRAINED:
        gen = make_dataset(n_subjects=8, n_per_class=30, classes=(*STREAM_CLASSES, "unknown"), seed=seed).sequences
        labels = sorted({str(c.label) for c in gen})
        res = fit_clips(gen, labels, model=model, model_params=MODEL_PARAMS.get(model), epochs=epochs, window=30,
                        resample_fps=30.0, seed=seed, meta={"data": {"dataset": "synthetic", "n": len(gen)}})
        print(f"pretrained {model} on {len(gen)} generated clips in {res.seconds:.0f}s", file=sys.stderr, flush=True)
        _PRETRAINED[model] = res.bundle
    return _PRETRAINED[model]


def train_fold(seqs: list[Any], train_s: list[str], model: str, epochs: int, seed: int = 0) -> tuple[Any, Any, list]:
    from gestura.data.streams import StreamWindowConfig, cut_dataset_windows
    from gestura.training.enroll import fit_clips

    wcfg = TRAIN_WINDOWS
    rng = np.random.default_rng(seed)
    clips = cut_dataset_windows(runtime_smoothed(by_session(seqs, train_s)), wcfg, rng)
    if MIX_GENERATED:
        clips += generated_windows(MIX_GENERATED, wcfg, rng, seed)
    if SIGNING_NEGATIVES:
        clips += signing_negatives(SIGNING_NEGATIVES, wcfg, rng)
    labels = sorted({c.label for c in clips})
    meta = {"data": {"dataset": "presentation-streams", "train_sessions": train_s}}
    augment = make_augment() if AUGMENT else None
    if PRETRAIN:
        import dataclasses

        from gestura.training.enroll import CLIP_FIT
        from gestura.training.finetune import FinetuneConfig, finetune
        from gestura.training.trainer import FitData

        init = pretrain(model, epochs, seed)
        data = FitData.from_clips(clips, init.pipeline, labels, int(init.window), augment=augment, seed=seed)
        res = finetune(init, data, FinetuneConfig(fit=dataclasses.replace(CLIP_FIT, epochs=epochs, seed=seed),
                                                  stage_a_epochs=2, backbone_lr_mult=0.3))
        res.bundle.stride = 1
        res.bundle.meta = meta
        return res, wcfg, clips
    res = fit_clips(clips, labels, model=model, model_params=MODEL_PARAMS.get(model), epochs=epochs,
                    window=wcfg.window_frames, resample_fps=wcfg.rate_hz, seed=seed, augment=augment, meta=meta)
    return res, wcfg, clips


BASE_NAME = None
MIX_GENERATED = 0  # --mix-generated N: windows of N generated people added to every training set
TUNE_HELD = False  # --tune-on-held-session
SIGNING_NEGATIVES = 0  # --signing-negatives N
SEED = 0  # --seed
MOTION_AMPLITUDE = 0.0  # --motion-amplitude
ADAPT = {"epochs": 6, "lr": 2e-3, "backbone_lr_mult": 0.1}
PRETRAIN = False  # --pretrain: two-phase transfer (generated gestures -> streams)
AUGMENT = False  # --augment: re-featurises every window every epoch (~0.5 ms per window)
TUNE_GRID = {"thresholds": (0.6, 0.7, 0.8, 0.9), "min_frames": (1, 2, 4), "per_class": False}
TRAIN_WINDOWS = None  # set in main: StreamWindowConfig(stride_s=0.2, unknown_per_positive=1.5)
MODEL_PARAMS: dict[str, dict[str, Any]] = {"transformer": {"d_model": 96, "heads": 4, "layers": 2},
                                           "bilstm": {"hidden": 64}}


def make_augment() -> Any:
    """The features helper's augmentation (time warp/scale, rotation, scale, jitter, frame drop; no mirroring)."""
    from functools import partial

    from gestura.features.augment import AugmentConfig, augment_sequence

    return partial(augment_sequence, cfg=AugmentConfig(motion_amplitude=MOTION_AMPLITUDE))


def run_model(seqs: list[Any], model: str, out: Path, epochs: int) -> dict[str, Any]:
    import torch

    from gestura.runtime.decision import DecisionConfig
    from gestura.evaluation.tuning import tune_decision

    torch.set_num_threads(1)
    results: dict[str, Any] = {"model": model + ("+pretrain" if PRETRAIN else "") + ("+augment" if AUGMENT else "")
                               + (f"+amplitude{MOTION_AMPLITUDE:g}" if AUGMENT and MOTION_AMPLITUDE else "")
                               + (f"+generated{MIX_GENERATED}" if MIX_GENERATED else "")
                               + (f"+signing{SIGNING_NEGATIVES}" if SIGNING_NEGATIVES else "")
                               + (f" (seed {SEED})" if SEED else ""),
                               "epochs": epochs, "params": MODEL_PARAMS.get(model, {})}
    for fold, (train_s, test_s) in FOLDS.items():
        res, wcfg, clips = train_fold(seqs, train_s, model, epochs, SEED)
        print(fold, model, f"trained on {len(clips)} windows in {res.seconds:.0f}s", file=sys.stderr, flush=True)
        res.bundle.save(out.parent / f"{out.stem}_{fold.replace('->', '_to_').replace(' ', '_').replace('+', '')}")
        labels = res.bundle.labels
        t0 = time.perf_counter()
        train_pbs = play_bundle(res.bundle, by_session(seqs, train_s))
        print(fold, model, f"played training sessions in {time.perf_counter() - t0:.0f}s", file=sys.stderr,
              flush=True)
        tuned, summary = tune_decision(train_pbs, DecisionConfig(), **TUNE_GRID)
        test_pbs = play_bundle(res.bundle, by_session(seqs, test_s))
        frames = sum(len(pb.t) for pb in test_pbs)
        row = score_both(test_pbs, labels, DecisionConfig(), tuned)
        if TUNE_HELD and len(train_s) > 1:
            inner, held = train_s[:-1], train_s[-1:]
            res_in, _, _ = train_fold(seqs, inner, model, epochs, SEED)
            held_pbs = play_bundle(res_in.bundle, by_session(seqs, held))
            tuned_h, summary_h = tune_decision(held_pbs, DecisionConfig(), **{**TUNE_GRID, "per_class": True})
            row.update(score_settings(test_pbs, labels, {"tuned_on_held_session": tuned_h}))
            row["tuning_held_session"] = {"inner_train": inner, "tuned_on": held, **{
                k: v for k, v in summary_h.items() if k != "on_training"}}
        row["tuning"] = {k: v for k, v in summary.items() if k != "on_training"}
        row["train_seconds"] = round(res.seconds, 1)
        row["train_windows"] = len(clips)
        row["playback_ms_per_update"] = round((time.perf_counter() - t0) * 1000 / max(frames, 1), 3)
        results[fold] = row
        print(fold, model, {k: (round(v["hit_rate"], 3), round(v["confusion_rate"], 3), v["false_per_hour"])
                            for k, v in row.items() if isinstance(v, dict) and "hit_rate" in v},
              f"train {res.seconds:.0f}s", file=sys.stderr, flush=True)
    from gestura.io import write_json

    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, results)
    return results


def run_enroll(seqs: list[Any], model: str, out: Path, epochs: int, ks: tuple[int, ...] = (0, 3, 5, 10)) -> dict:
    """Leave-one-person-out with enrolment: the first K prompts per class of the test person's first session
    adapt the model trained on the other person (head, then full with replay); their other sessions are scored."""
    import torch

    from gestura.artifact import ModelBundle
    from gestura.data.streams import StreamWindowConfig
    from gestura.evaluation.tuning import tune_decision
    from gestura.runtime.decision import DecisionConfig
    from gestura.training.enroll import adapt, replay_set, takes_from_stream

    torch.set_num_threads(1)
    results: dict[str, Any] = {"model": model + (f"+generated{MIX_GENERATED}" if MIX_GENERATED else ""),
                               "ks": list(ks), "adapt": dict(ADAPT)}
    for fold in ("joschua->meric", "meric->joschua"):
        train_s, test_s = FOLDS[fold]
        saved = out.parent / f"{BASE_NAME or model}_{fold.replace('->', '_to_')}"
        if (saved / "model.json").is_file():
            base, clips = ModelBundle.load(saved), None
        else:
            res, _, clips = train_fold(seqs, train_s, model, epochs)
            base = res.bundle
        if clips is None:
            from gestura.data.streams import cut_dataset_windows

            clips = cut_dataset_windows(runtime_smoothed(by_session(seqs, train_s)), TRAIN_WINDOWS,
                                        np.random.default_rng(0))
            if MIX_GENERATED:
                clips += generated_windows(MIX_GENERATED, TRAIN_WINDOWS, np.random.default_rng(0))
        test = by_session(seqs, test_s)
        first, rest = test[0], test[1:]
        rows = {}
        for k in ks:
            rng = np.random.default_rng(k)
            if k == 0:
                bundle, secs, n_takes = base, 0.0, 0
                tuned = DecisionConfig()
            else:
                takes, t_cut = takes_from_stream(runtime_smoothed([first])[0], k, StreamWindowConfig(stride_s=0.1), rng)
                replay = replay_set(clips, 40, rng)
                r = adapt(base, takes, replay=replay, stage_a_epochs=3, epochs=ADAPT["epochs"], lr=ADAPT["lr"],
                          backbone_lr_mult=ADAPT["backbone_lr_mult"], seed=k)
                bundle, secs, n_takes = r.bundle, r.seconds, len(takes)
                part = first.slice(0, int(np.searchsorted(first.t, t_cut)))
                tuned, _ = tune_decision(play_bundle(bundle, [part]), DecisionConfig(), **TUNE_GRID)
            pbs = play_bundle(bundle, rest)
            row = score_both(pbs, bundle.labels, DecisionConfig(), tuned)
            row["adapt_seconds"] = round(secs, 1)
            row["take_windows"] = n_takes
            rows[f"K={k}"] = row
            print(fold, model, f"K={k}", {n: (round(v["hit_rate"], 3), round(v["confusion_rate"], 3),
                                               v["false_per_hour"]) for n, v in row.items()
                                          if isinstance(v, dict)}, f"adapt {secs:.0f}s", file=sys.stderr, flush=True)
        results[fold] = rows
    from gestura.io import write_json

    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, results)
    return results


if __name__ == "__main__":
    sys.exit(main())
