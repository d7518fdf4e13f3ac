"""Enrolment: adapt a trained artifact to a new user from a few prompted takes, with replay, in about a minute.

The user performs each gesture K times on a prompt (1 s gesture, 2 s rest, like the presentation streams). The
takes become labelled windows by the same rule training uses (`gestura.data.streams`): the gesture windows, plus
the rest windows between prompts as `unknown` (including the return movement, the classic false trigger). The
model is then fine-tuned briefly:
- stage A: only the classification head learns (the backbone is frozen), a few epochs;
- stage B (`mode="full"`): everything learns, the backbone at `backbone_lr_mult` times the head's rate (defaults:
  3 + 15 epochs, lr 3e-3, backbone x0.5; a gentler 6 epochs at x0.1 barely moved the model, docs/results.md);
with a replay set (up to `replay_per_class` windows per class from the data the artifact was trained on) mixed in
so the old people are not forgotten. The decision thresholds can be re-tuned on a playback of the takes.

`fit_clips` is also the stream trainer the issue-9 experiments and `scripts/build_default_model_real.py` use.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError


@dataclass
class FitResult:
    """A trained bundle plus how long it took and its training history rows."""

    bundle: Any
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def _loader(clips: Sequence[Any], pipeline: Any, labels: Sequence[str], window: int, batch_size: int,
            shuffle: bool, augment: Any = None, seed: int = 0) -> Any:
    from torch.utils.data import DataLoader

    from gestura.data.dataset import WindowDataset, collate

    ds = WindowDataset(clips, pipeline, labels, window, stride=max(1, window), augment=augment, seed=seed)
    if len(ds) == 0:
        raise InputError("no training windows with a known label")
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, collate_fn=collate, num_workers=0)


def fit_clips(
    clips: Sequence[Any],
    labels: Sequence[str],
    *,
    model: str = "lstm",
    model_params: dict[str, Any] | None = None,
    pipeline: Any = None,
    window: int = 30,
    resample_fps: float | None = 30.0,
    epochs: int = 20,
    lr: float = 2e-3,
    batch_size: int = 64,
    seed: int = 0,
    val_clips: Sequence[Any] | None = None,
    augment: Any = None,
    class_weights: bool = True,
    init: Any = None,
    stage_a_epochs: int = 0,
    backbone_lr_mult: float = 0.1,
    meta: dict[str, Any] | None = None,
) -> FitResult:
    """Train a bundle on labelled window clips `(window, J, C)` each; from scratch, or from `init` (a bundle).

    With `init`, the backbone weights are copied and the head rows of shared labels kept; `stage_a_epochs` train
    the head alone, then `epochs` train all with the backbone at `backbone_lr_mult` x `lr` (epochs=0: head only).
    """
    import torch

    from gestura.artifact import ModelBundle
    from gestura.features.pipeline import FeaturePipeline
    from gestura.models import create_model
    from gestura.training.config import OptimConfig, ScheduleConfig
    from gestura.training.trainer import class_weights_from, fit

    labels = [str(x) for x in labels]
    if not clips:
        raise InputError("fit_clips: no training clips")
    torch.manual_seed(seed)
    if init is not None:
        pipeline, window = init.pipeline, int(init.window)
        resample_fps = init.resample_fps
        net = _copy_with_head(init, labels)
    else:
        pipeline = pipeline or FeaturePipeline("feature-schema-v1")
        net = create_model(model, **{**(model_params or {}), "input_dim": pipeline.dim, "num_classes": len(labels)})
    train = _loader(clips, pipeline, labels, window, batch_size, True, augment, seed)
    val = _loader(val_clips, pipeline, labels, window, 256, False) if val_clips else None
    weights = class_weights_from(train.dataset.targets, len(labels)) if class_weights else None
    optim = OptimConfig(lr=lr, batch_size=batch_size, class_weights=class_weights)
    rows: list[dict[str, float]] = []
    t0 = time.perf_counter()
    if init is not None and stage_a_epochs > 0:
        for name, p in net.named_parameters():
            p.requires_grad = name.startswith("head.")
        hist = fit(net, train, val, optim, ScheduleConfig(epochs=stage_a_epochs, patience=stage_a_epochs),
                   seed=seed, class_weights=weights, progress=False)
        rows += [{**r, "stage": 0.0} for r in hist.rows]
        for p in net.parameters():
            p.requires_grad = True
    if epochs > 0:
        groups = None
        if init is not None:
            head = [p for n, p in net.named_parameters() if n.startswith("head.")]
            body = [p for n, p in net.named_parameters() if not n.startswith("head.")]
            groups = [{"params": body, "lr": lr * backbone_lr_mult}, {"params": head, "lr": lr}]
        hist = fit(net, train, val, optim, ScheduleConfig(epochs=epochs, patience=max(4, epochs // 3)),
                   seed=seed, class_weights=weights, param_groups=groups, progress=False,
                   epoch_offset=stage_a_epochs)
        rows += [{**r, "stage": 1.0} for r in hist.rows]
    seconds = time.perf_counter() - t0
    bundle = ModelBundle(model=net.eval(), pipeline=pipeline, labels=labels, window=window, stride=1,
                         meta=dict(meta or {}), resample_fps=resample_fps)
    return FitResult(bundle, seconds, rows)


def _copy_with_head(init: Any, labels: list[str]) -> Any:
    """A copy of `init.model` whose output layer has one row per label; rows of labels `init` knows are kept."""
    from gestura.models import create_model, model_config

    arch = model_config(init.model)
    net = create_model(arch["name"], **{**arch["params"], "num_classes": len(labels)})
    old, new = init.model.state_dict(), net.state_dict()
    rows = {lb: i for i, lb in enumerate(init.labels)}
    n_old = len(init.labels)
    for key, v in old.items():
        if key not in new:
            continue
        out_layer = key.startswith("head.") and v.shape[:1] == (n_old,) and new[key].shape[:1] == (len(labels),)
        if out_layer and v.shape[1:] == new[key].shape[1:]:
            w = new[key].clone()
            for j, lb in enumerate(labels):
                if lb in rows:
                    w[j] = v[rows[lb]]
            new[key] = w
        elif new[key].shape == v.shape:
            new[key] = v.clone()
    net.load_state_dict(new)
    return net


def takes_from_stream(seq: Any, k: int, cfg: Any = None, rng: np.random.Generator | None = None,
                      background: str = "unknown") -> tuple[list[Any], float]:
    """Windows of the first `k` prompts per class of a frame-labelled stream, with the rest after each prompt.

    Returns `(clips, t_cut)`: the labelled clips and the time after which the stream was NOT used (score the
    stream only after `t_cut` to keep the enrolment takes out of the test).
    """
    from gestura.data.streams import StreamWindowConfig, cut_stream_windows, stream_prompts

    cfg = cfg or StreamWindowConfig()
    prompts = stream_prompts(seq, background)
    chosen: list[tuple[float, float, str]] = []
    seen: dict[str, int] = {}
    for p in prompts:
        if seen.get(p[2], 0) < k:
            chosen.append(p)
            seen[p[2]] = seen.get(p[2], 0) + 1
    if not chosen:
        return [], float(seq.t[0])
    starts = sorted(p[0] for p in prompts)
    spans = []
    for a, _b, _ in chosen:
        nxt = [s for s in starts if s > a]
        spans.append((a - 0.5, (nxt[0] if nxt else float(seq.t[-1])) + 0.3))
    clips = [c for c in cut_stream_windows(seq, cfg, rng)
             if any(lo <= c.attrs["t_end"] - cfg.window_s and c.attrs["t_end"] <= hi for lo, hi in spans)]
    t_cut = max(hi for _, hi in spans)
    return clips, t_cut


def replay_set(clips: Sequence[Any], per_class: int, rng: np.random.Generator) -> list[Any]:
    """Up to `per_class` clips of every label, drawn with `rng` (the replay memory of the old training data)."""
    by: dict[str, list[Any]] = {}
    for c in clips:
        by.setdefault(str(c.label), []).append(c)
    out: list[Any] = []
    for lb in sorted(by):
        items = by[lb]
        idx = rng.choice(len(items), min(per_class, len(items)), replace=False)
        out.extend(items[i] for i in sorted(idx))
    return out


def adapt(
    bundle: Any,
    takes: Sequence[Any],
    *,
    replay: Sequence[Any] = (),
    mode: str = "full",
    stage_a_epochs: int = 3,
    epochs: int = 15,
    lr: float = 3e-3,
    backbone_lr_mult: float = 0.5,
    seed: int = 0,
) -> FitResult:
    """Fine-tune `bundle` on the user's takes plus replay (`mode` "head": stage A only; "full": A then B)."""
    if mode not in ("head", "full"):
        raise InputError(f"enrol mode must be head|full, got {mode!r}")
    clips = list(takes) + list(replay)
    labels = list(bundle.labels)
    if unknown := sorted({str(c.label) for c in takes} - set(labels)):
        labels += unknown
    return fit_clips(clips, labels, init=bundle, stage_a_epochs=stage_a_epochs,
                     epochs=0 if mode == "head" else epochs, lr=lr, backbone_lr_mult=backbone_lr_mult, seed=seed,
                     meta={**bundle.meta, "enrolled": {"takes": len(takes), "replay": len(replay), "mode": mode}})


def enroll(
    artifact: str | Path,
    source: str,
    out: str | Path,
    *,
    k: int = 5,
    replay_data: str | Path | None = None,
    replay_per_class: int = 60,
    mode: str = "full",
    retune: bool = True,
    seed: int = 0,
    console: Any = None,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write a personal artifact to `out`: takes from `source` (webcam index, video file, landmark data), adapt.

    `source` as a landmark dataset folder or `.npz` with frame labels (e.g. a recorded prompt session) is used
    directly; `webcam`/a video file is recorded with prompts on the console first (needs MediaPipe).
    """
    from gestura.artifact import ModelBundle
    from gestura.data.streams import StreamWindowConfig, cut_dataset_windows

    check_enrol_out(artifact, out, overwrite=overwrite)
    if k < 1:
        raise ConfigError(f"-k {k}: out of bounds (must be >= 1 take per gesture)")
    bundle = ModelBundle.load(artifact)
    rng = np.random.default_rng(seed)
    streams = _enrol_streams(source, bundle, k, console)
    cfg = StreamWindowConfig(rate_hz=float(bundle.resample_fps or 30.0),
                             window_s=int(bundle.window) / float(bundle.resample_fps or 30.0))
    from gestura.runtime.recognizer import RecognizerOptions, smooth_sequence

    smoothing = RecognizerOptions().smoothing
    takes: list[Any] = []
    for s in streams:
        if s.frame_labels is not None:
            takes += takes_from_stream(smooth_sequence(s, smoothing), k, cfg, rng)[0]
        elif s.label is not None:
            takes.append(s)
    if not takes:
        raise InputError(f"{source}: no labelled takes found (need frame labels or clip labels)")
    replay: list[Any] = []
    if replay_data is not None:
        from gestura.data.formats import load_dataset

        replay = replay_set(cut_dataset_windows(load_dataset(replay_data).sequences, cfg, rng), replay_per_class, rng)
    res = adapt(bundle, takes, replay=replay, mode=mode, seed=seed)
    info: dict[str, Any] = {"takes": len(takes), "replay": len(replay), "seconds": round(res.seconds, 2),
                            "mode": mode, "k": k}
    if retune and any(s.frame_labels is not None for s in streams):
        from gestura.evaluation.tuning import tune_decision
        from gestura.runtime.decision import DecisionConfig
        from gestura.runtime.engines import TorchEngine
        from gestura.runtime.recognizer import Recognizer, RecognizerOptions
        from gestura.runtime.replay import replay as replay_stream

        rec = Recognizer(TorchEngine(res.bundle), RecognizerOptions())
        pbs = [replay_stream(rec, s) for s in streams if s.frame_labels is not None]
        tuned, summary = tune_decision(pbs, DecisionConfig())
        res.bundle.meta["decision"] = tuned.model_dump()
        res.bundle.thresholds = {lb: tuned.threshold_for(lb) for lb in res.bundle.labels}
        info["decision"] = {k2: v for k2, v in summary.items() if k2 != "on_training"}
    res.bundle.meta["enrolment"] = info
    res.bundle.save(out)
    return info


def check_enrol_out(artifact: str | Path, out: str | Path, *, overwrite: bool = False) -> None:
    """Refuse to write the personal artifact into its own source model, or over another model without
    `overwrite`; checked before any work."""
    src, dst = Path(artifact), Path(out)
    src = src.parent if src.is_file() else src
    if dst.exists() and not dst.is_dir():
        raise ConfigError(f"--out {dst}: exists and is not a folder")
    if dst.resolve() == src.resolve():
        raise ConfigError(f"--out {dst}: is the --artifact being personalised; write the personal model to "
                          "another folder")
    if (dst / "model.json").exists() and not overwrite:
        raise ConfigError(f"--out {dst}: already holds a model; pass --overwrite to replace it")


def _enrol_streams(source: str, bundle: Any, k: int, console: Any) -> list[Any]:
    """Landmark streams for enrolment from a dataset folder / `.npz`, or a prompted recording."""
    p = Path(source)
    if p.is_dir() or (p.suffix == ".npz" and p.is_file()):
        if p.suffix == ".npz":
            from gestura.landmarks.sequence import LandmarkSequence

            return [LandmarkSequence.from_npz(p)]
        from gestura.data.formats import load_dataset

        return list(load_dataset(p).sequences)
    return [record_prompted(source, [lb for lb in bundle.labels if lb != "unknown"], k, console)]


def record_prompted(source: str, classes: Sequence[str], k: int, console: Any = None,
                    prompt_s: float = 1.0, rest_s: float = 2.0) -> Any:
    """Record a prompted session (each class `k` times: `prompt_s` gesture, `rest_s` rest) from a webcam index or a
    video file through MediaPipe Hands; returns a frame-labelled `LandmarkSequence` (labels from the prompt clock
    on the frames' own timestamps, so a video file replays the same script)."""
    from gestura.capture.sources import open_source
    from gestura.landmarks.mediapipe_backend import MediaPipeHands

    script = [c for _ in range(k) for c in classes]
    lead = 2.0
    cycle = prompt_s + rest_s
    src: str | int = int(source) if source.isdigit() else (0 if source == "webcam" else source)
    frames = []
    with open_source(src) as cam, MediaPipeHands() as hands:
        t0 = None
        shown = -1
        for frame in cam:
            t = frame.t_ms / 1000.0
            t0 = t if t0 is None else t0
            rel = t - t0 - lead
            i = int(rel // cycle) if rel >= 0 else -1
            if i >= len(script):
                break
            if console is not None and i != shown and i >= 0:
                console.print(f"[{i + 1}/{len(script)}] now: [bold]{script[i]}[/]")
                shown = i
            label = script[i] if i >= 0 and (rel - i * cycle) < prompt_s else "unknown"
            frames.append((t, hands.process(frame), label))
    if not frames:
        raise InputError(f"{source}: no frames recorded")
    from gestura.landmarks.backend import sequence_from_frames

    t = np.array([f[0] for f in frames])
    seq = sequence_from_frames([f[1] for f in frames], t, fps=float(len(t) / max(t[-1] - t[0], 1e-6)))
    seq.frame_labels = np.array([f[2] for f in frames])
    return seq
