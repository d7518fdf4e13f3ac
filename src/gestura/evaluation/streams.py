"""`evaluate-stream`: recorded streams played through the runtime `gestura live` uses, scored event by event.

Replay lives in `gestura.runtime.replay` (one replay for evaluation, demo, enrolment and tuning), the scoring
rule in `gestura.evaluation.events`, decision tuning in `gestura.evaluation.tuning`, the picture in
`gestura.evaluation.timeline`; this module selects streams, runs them and writes the report.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, InputError
from gestura.evaluation.events import (
    StreamScore, merge_scores, rest_seconds, score_playback, score_stream, to_command_space,
)
from gestura.evaluation.timeline import plot_timeline
from gestura.features.windows import window_batch
from gestura.landmarks.sequence import LandmarkSequence
from gestura.runtime.replay import Playback, replay, replay_decisions


def select_streams(sequences: Sequence[Any], split: str = "all", source: str = "data") -> list[Any]:
    """The streams to evaluate: `all`, `subject=NAME`, `session=ID`, `video=ID[,ID]`, or a `splits.json` (its test
    part). Only streams with frame labels are kept; none left is an `InputError`."""
    seqs = [s for s in sequences if s.frame_labels is not None]
    if not seqs:
        raise InputError(f"{source}: no stream has frame labels (a groundtruth.txt with label changes)")
    if split == "all":
        chosen = seqs
    elif "=" in split:
        key, _, value = split.partition("=")
        key = {"person": "subject", "recorded_by": "subject", "video_id": "video"}.get(key, key)
        if key not in ("subject", "session", "video"):
            raise ConfigError(f"--split {split!r}: use all, subject=NAME, session=ID, video=ID or a splits.json")
        wanted = set(value.split(","))
        attr = "video_id" if key == "video" else key
        chosen = [s for s in seqs if str(getattr(s, attr)) in wanted]
    else:
        from gestura.data.splits import Split

        sp = Split.load(split)
        ids = [s.video_id for s in seqs]
        chosen = [s for s, keep in zip(seqs, sp.part_of(ids, "test")) if keep]
    if not chosen:
        raise InputError(f"{source}: --split {split!r} selects no labelled stream "
                         f"(streams: {', '.join(s.video_id for s in seqs)[:200]})")
    return chosen


def build_report(playbacks: Sequence[Playback], command_map: Any, grace: float = 1.0) -> dict[str, Any]:
    """Scores per session, per person and overall (class space), plus the command-space view."""
    per_session = {pb.stream: score_playback(pb, grace=grace) for pb in playbacks}
    persons: dict[str, list[StreamScore]] = {}
    for pb in playbacks:
        persons.setdefault(str(pb.subject), []).append(per_session[pb.stream])
    overall = merge_scores(per_session.values())
    cmd_scores = []
    mapping = dict(command_map.mapping) if hasattr(command_map, "mapping") else dict(command_map)
    for pb in playbacks:
        p, c = to_command_space(pb.prompts, pb.events, {k: v for k, v in mapping.items()})
        rest = rest_seconds(pb.prompts, pb.duration_s, grace, start_s=pb.start_s)
        cmd_scores.append(score_stream(p, c, rest, grace, duration_s=pb.duration_s))
    costs = [pb.frame_cost_ms for pb in playbacks if pb.frame_cost_ms is not None]
    return {
        "overall": overall.to_dict(),
        "per_person": {k: merge_scores(v).to_dict() for k, v in sorted(persons.items())},
        "per_session": {k: v.to_dict() for k, v in per_session.items()},
        "command_space": merge_scores(cmd_scores).to_dict(),
        "frame_cost_ms": float(np.mean(costs)) if costs else None,
    }


def rerun_cost_ms(rec: Any, seq: Any, n: int = 100) -> float:
    """Per-frame cost of the naive runtime: re-prepare and re-featurise the whole last window every frame."""
    w = rec.window
    span = w / float(rec.resample_fps or seq.fps)
    stops = np.linspace(min(seq.n_frames - 1, int(span * seq.fps) + 2), seq.n_frames - 1, n).astype(int)
    t0 = time.perf_counter()
    for stop in stops:
        lo = int(np.searchsorted(seq.t, seq.t[stop] - span))
        rs = rec.prepare(seq.slice(lo, stop + 1))
        f, v = rec.pipeline.frame_features(rs)
        x, m, _ = window_batch(rec.pipeline, f, v, [len(f) - 1], w)
        if m.any():
            rec.engine.predict_proba(x, m)
        replay_decisions(np.array([1.0]), rec.background_probs()[None], rec.labels, rec.decision_config)
    return (time.perf_counter() - t0) * 1000.0 / len(stops)


def evaluate_streams(
    artifact: str | Path | Any,
    data: str | Path | Sequence[LandmarkSequence],
    split: str = "all",
    command_map: str | Path | None = None,
    out: str | Path | None = None,
    *,
    decision: str | Path | Any = None,
    grace: float = 1.0,
    exact: bool = True,
    timeline: str | None = None,
    every_k: int = 1,
) -> dict[str, Any]:
    """Play every selected stream through the runtime `gestura live` uses and score its events.

    `artifact`: a model folder (or a ready `Recognizer`); `data`: a dataset path (`seed003` streams with frame
    labels) or sequences; `command_map`/`decision`: YAML files (defaults: the artifact's). With `exact`, each
    stream goes frame by frame through `Recognizer.stream` and a `Dispatcher` with the log backend; otherwise
    the batched equivalent (`replay`'s default). Writes `report.json` and `timeline_<stream>.png` into `out`.
    """
    from gestura.runtime.commands import CommandMap, Dispatcher, LogBackend
    from gestura.runtime.decision import DecisionConfig
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    cmap = CommandMap.from_yaml(command_map) if command_map else CommandMap()
    dcfg = DecisionConfig.from_yaml(decision) if isinstance(decision, (str, Path)) else decision
    if isinstance(artifact, Recognizer):
        rec = artifact
        name = "<recognizer>"
    else:
        rec = Recognizer.from_file(artifact, RecognizerOptions(decision=dcfg, command_map=cmap, every_k=every_k))
        name = str(artifact)
    if isinstance(data, (str, Path)):
        from gestura.data.formats import load_dataset

        sequences = list(load_dataset(data).sequences)
        source = str(data)
    else:
        sequences, source = list(data), "<sequences>"
    chosen = select_streams(sequences, split, source)
    playbacks = []
    log = LogBackend(stream=None)
    for seq in chosen:
        if exact:
            pb = replay(rec, seq, exact=True, dispatcher=Dispatcher(rec.command_map, [log]))
        else:
            pb = replay(rec, seq)
        playbacks.append(pb)
    report: dict[str, Any] = {
        "artifact": name, "data": source, "split": split, "grace_s": grace, "exact_streaming": exact,
        "streams": [pb.stream for pb in playbacks], "labels": list(rec.labels),
        "decision": rec.decision_config.model_dump(), "command_map": dict(rec.command_map.mapping),
        **build_report(playbacks, rec.command_map, grace),
        "rerun_frame_cost_ms": rerun_cost_ms(rec, chosen[0]),
        "events": {pb.stream: [[round(te, 3), c] for te, c in pb.events] for pb in playbacks},
        "commands": {pb.stream: [[round(te, 3), c] for te, c in pb.commands] for pb in playbacks},
    }
    if report["frame_cost_ms"]:
        report["rerun_vs_streaming"] = report["rerun_frame_cost_ms"] / report["frame_cost_ms"]
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        pb = next((p for p in playbacks if p.stream == timeline), playbacks[0])
        png = plot_timeline(out / f"timeline_{pb.stream}.png", pb.prompts, pb.t, pb.probs, pb.labels, pb.events,
                            title=f"{Path(name).name}: {pb.stream}", grace=grace,
                            returns=score_playback(pb, grace=grace).return_events)
        report["timeline_png"] = png.name
        from gestura.io import write_json

        write_json(out / "report.json", report)
    return report


__all__ = ["build_report", "evaluate_streams", "rerun_cost_ms", "select_streams"]
