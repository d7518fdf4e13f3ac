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

`adapt` is `finetune` with these settings; `fit_clips` (a fresh model on labelled clips through `fit`) is the
clip trainer of the presentation recipe and the stream experiments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from gestura.artifact import ModelBundle
from gestura.errors import ConfigError, InputError
from gestura.features.pipeline import FeaturePipeline
from gestura.models import create_model
from gestura.training.finetune import FinetuneConfig, finetune
from gestura.training.trainer import FitConfig, FitData, FitResult, fit


CLIP_FIT = FitConfig(epochs=20, lr=2e-3, batch_size=64, class_weights=True)
"""`fit_clips`' defaults: 20 epochs at 2e-3, class weights on (the stream windows are mostly `unknown`)."""


def fit_clips(clips: Sequence[Any], labels: Sequence[str], *, model: str = "lstm",
              model_params: dict[str, Any] | None = None, pipeline: Any = None, window: int = 30,
              resample_fps: float | None = 30.0, val_clips: Sequence[Any] | None = None, augment: Any = None,
              meta: dict[str, Any] | None = None, config: FitConfig = CLIP_FIT, **settings: Any) -> FitResult:
    """Train a fresh bundle on labelled window clips `(window, J, C)` each through `fit`; `settings` replace
    fields of `config` (e.g. `epochs=5, lr=1e-3, seed=1`). To start from a trained bundle, use `finetune`."""
    labels = [str(x) for x in labels]
    if not clips:
        raise InputError("fit_clips: no training clips")
    config = _with_settings(config, settings)
    pipeline = pipeline or FeaturePipeline("feature-schema-v1")
    torch.manual_seed(config.seed)
    net = create_model(model, **{**(model_params or {}), "input_dim": pipeline.dim, "num_classes": len(labels)})
    data = FitData.from_clips(clips, pipeline, labels, window, val_clips=val_clips, augment=augment,
                              seed=config.seed)
    res = fit(net, data, config)
    res.bundle = ModelBundle(model=net.eval(), pipeline=pipeline, labels=labels, window=window, stride=1,
                             meta=dict(meta or {}), resample_fps=resample_fps)
    return res


def _with_settings(config: FitConfig, settings: dict[str, Any]) -> FitConfig:
    known = {f.name for f in dataclasses.fields(FitConfig)}
    if unknown := sorted(set(settings) - known):
        raise ConfigError(f"fit_clips: unknown setting(s) {unknown}; valid: {sorted(known)}")
    return dataclasses.replace(config, **settings)


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
    # cut_stream_windows stores each window's end time (a float) as attrs["t_end"].
    clips = [c for c in cut_stream_windows(seq, cfg, rng)
             if any(lo <= cast(float, c.attrs["t_end"]) - cfg.window_s and cast(float, c.attrs["t_end"]) <= hi
                    for lo, hi in spans)]
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
    labels = list(bundle.labels)
    if unknown := sorted({str(c.label) for c in takes} - set(labels)):
        labels += unknown
    data = FitData.from_clips(takes, bundle.pipeline, labels, int(bundle.window), replay=replay, seed=seed)
    config = FinetuneConfig(fit=dataclasses.replace(CLIP_FIT, epochs=0 if mode == "head" else epochs, lr=lr,
                                                    seed=seed),
                            stage_a_epochs=stage_a_epochs, backbone_lr_mult=backbone_lr_mult)
    res = finetune(bundle, data, config)
    res.bundle.stride = 1
    res.bundle.meta["enrolled"] = {"takes": len(takes), "replay": len(replay), "mode": mode}
    return res


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

    times = np.array([f[0] for f in frames])
    seq = sequence_from_frames([f[1] for f in frames], times,
                               fps=float(len(times) / max(times[-1] - times[0], 1e-6)))
    seq.frame_labels = np.array([f[2] for f in frames])
    return seq
