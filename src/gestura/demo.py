"""`gestura demo`: the whole runtime on a generated presentation session, no webcam needed.

A generated person performs a script of gestures (swipes, zooms, fist, laser pointer, pen) with rests and the
hand's return movements in between. The session is played frame by frame, at its own timestamps, through
exactly what `gestura live` runs: landmark smoothing, the feature pipeline, the model, the activation
controller and the command dispatcher (log backend). The timeline shows what was performed next to what was
recognised, with the delay from the end of each movement to its command, and the runtime cost per frame.
`video=PATH` runs a real video through MediaPipe instead; `stream=PATH` a recorded landmark stream (`.npz`,
e.g. `../shared/datasets/presentation-streams/joschua_s1.npz`, prompts read from its `groundtruth.txt`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from rich.console import Console, JustifyMethod
from rich.table import Table

from gestura.data.prompts import Prompt, sequence_prompts

DEMO_SCRIPT = ("swiping_right", "swiping_right", "swiping_left", "zooming_in_full_hand", "point_one",
               "zooming_out_full_hand", "point_two", "fist", "swiping_up", "swiping_down")
CONTINUOUS_NAMES = {"point_one": "laser pointer", "point_two": "pen"}
GRACE_S = 1.0


@dataclass
class _Event:
    t: float
    what: str
    label: str
    score: float


def run_demo(seed: int = 0, console: Console | None = None, video: str | Path | None = None,
             stream: str | Path | None = None, artifact: str | Path | None = None) -> dict[str, Any]:
    """Run the demo and print it; returns a summary dict (hits, false commands, cost) for tests and scripts."""
    from gestura.runtime.recognizer import Recognizer

    console = console or Console()
    t_load = time.perf_counter()
    rec = Recognizer.from_file(artifact)
    load_s = time.perf_counter() - t_load
    name = "the embedded default model" if artifact is None else str(artifact)
    console.print(f"[bold]gestura demo[/] - {name} ({', '.join(rec.labels)}), loaded in {load_s:.1f} s")
    if video is not None:
        return _run_video(rec, Path(video), console)
    if stream is not None:
        seq, prompts = _load_stream(Path(stream))
        console.print(f"Playing the recorded stream [cyan]{stream}[/] ({seq.n_frames} frames, "
                      f"{seq.duration:.0f} s) through the runtime.")
        if _trained_on(rec.meta, Path(stream)):
            console.print("[yellow]Note:[/] this model was trained on this recording, so the timeline shows the "
                          "runtime at work, not accuracy on a new person (see its model card for that).")
    else:
        seq, prompts = _generated_session(seed)
        console.print(f"A generated person (seed {seed}) performs {len(prompts)} gestures in "
                      f"{seq.duration:.0f} s of video ({seq.n_frames} frames at ~{seq.fps:.0f} fps); the runtime "
                      "sees only the hand landmarks, frame by frame, as from a webcam.")
    events, costs, wall = _play(rec, seq)
    summary = _timeline(prompts, events, console, "the prompt" if stream is not None else "the hand's movement")
    _cost(costs, wall, seq, console)
    summary.update(frame_cost_ms=float(np.mean(costs)), frames=len(costs))
    return summary


def _trained_on(meta: dict[str, Any] | None, stream: Path) -> bool:
    """Whether the model's recorded training data (`meta["data"]`) name the dataset folder `stream` comes from."""
    return stream.resolve().parent.name in str((meta or {}).get("data", ""))


# ---------------------------------------------------------------------------------------------- sources
def _generated_session(seed: int) -> tuple[Any, list[Prompt]]:
    from gestura.data.synthetic import SubjectStyle, make_session

    rng = np.random.default_rng([seed, 7_000_003])
    style = SubjectStyle.sample(rng, subject=f"demo{seed}", handedness="right")
    seq = make_session(list(DEMO_SCRIPT), style, seed=seed + 7_000_003)
    motions = cast("list[tuple[str, float, float]]", seq.attrs["motions"])  # [label, start_s, end_s] rows
    return seq, [Prompt(float(a), float(b), str(lb)) for lb, a, b in motions]


def _load_stream(path: Path) -> tuple[Any, list[Prompt]]:
    """A recorded stream and its prompts, read as `evaluate-stream` reads them (the folder's groundtruth.txt)."""
    from gestura.data.formats import load_dataset
    from gestura.errors import InputError

    if path.suffix.lower() != ".npz" or not path.is_file():
        raise InputError(f"{path}: --stream takes a landmark .npz file (the seed003 format)")
    if (path.parent / "groundtruth.txt").is_file():
        seq = next((s for s in load_dataset(path.parent).sequences if s.video_id == path.stem), None)
        if seq is not None:
            return seq, sequence_prompts(seq)
    from gestura.landmarks.sequence import LandmarkSequence

    return LandmarkSequence.from_npz(path), []


# ---------------------------------------------------------------------------------------------- playback
def _play(rec: Any, seq: Any) -> tuple[list[_Event], list[float], float]:
    """The session through the one replay, frame by frame (`gestura live` on landmarks), commands dispatched."""
    from gestura.runtime.commands import CommandMap, Dispatcher, LogBackend
    from gestura.runtime.replay import replay

    log = LogBackend(stream=None)
    dispatcher = Dispatcher(rec.command_map if isinstance(rec.command_map, CommandMap) else None, [log])
    t0 = time.perf_counter()
    pb = replay(rec, seq, exact=True, dispatcher=dispatcher)
    wall = time.perf_counter() - t0
    commands = dict(pb.commands)
    events = [_Event(t, commands.get(t, "no_action"), label, 1.0) for t, label in pb.events]
    events += [_Event(t, f"{CONTINUOUS_NAMES.get(label, label)} {state}", label, 1.0)
               for t, label, state in pb.continuous]
    costs = [] if pb.frame_costs_ms is None else [float(c) for c in pb.frame_costs_ms]
    return sorted(events, key=lambda e: e.t), costs, wall


def _expected(label: str) -> str:
    from gestura.runtime.commands import CommandMap

    if label in CONTINUOUS_NAMES:
        return CONTINUOUS_NAMES[label] + " on"
    return CommandMap().command_for(label)


def _timeline(prompts: list[Prompt], events: list[_Event], console: Console,
              end_of: str = "the hand's movement") -> dict[str, Any]:
    """The scorer `evaluate-stream` uses (`gestura.evaluation.events.score_stream`), in command space: each
    prompt is decided by the first command in its window; a gesture mapped to no command is right when silent."""
    from gestura.evaluation.events import rest_seconds, score_stream

    want = [Prompt(p.start_s, p.end_s, _expected(p.label)) for p in prompts]
    fired = [(e.t, e.what) for e in events if not e.what.endswith(" off") and e.what != "no_action"]
    duration = max([p.end_s + GRACE_S for p in prompts] + [e.t for e in events] + [0.0])
    score = score_stream(want, fired, rest_seconds(want, duration, GRACE_S), GRACE_S, duration_s=duration)
    table = Table(title="What was performed vs. what the runtime did", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("time", "right"), ("performed", "left"), ("expected", "left"), ("recognised", "left"), ("delay", "right"),
        ("", "left"))
    for col, justify in columns:
        table.add_column(col, justify=justify)
    label_of = {(p.start_s, p.end_s): p.label for p in prompts}
    rows: list[tuple[float, list[str]]] = []
    hits, delays = 0, []
    for prompt, got in score.decided:
        a, b, expected = prompt
        label = label_of.get((a, b), expected)
        if got is None:
            ok = expected == "no_action"
            hits += ok
            rows.append((a, [f"{a:6.1f} s", label, expected, "[dim]-[/]", "",
                             "[green]ok[/]" if ok else "[red]missed[/]"]))
            continue
        ok = got[1] == expected
        hits += ok
        delays += [got[0] - b] if ok else []
        rows.append((a, [f"{a:6.1f} s", label, expected, got[1], f"{(got[0] - b) * 1000:+.0f} ms",
                         "[green]ok[/]" if ok else "[yellow]wrong[/]"]))
    for t, what in score.false_events:
        rows.append((t, [f"{t:6.1f} s", "[dim](rest)[/]", "[dim]nothing[/]", what, "", "[red]false[/]"]))
    for _, cells in sorted(rows, key=lambda r: r[0]):
        table.add_row(*cells)
    console.print(table)
    console.print(f"[bold]{hits} of {len(prompts)}[/] gestures gave the right command; {score.false_commands} "
                  f"command(s) fired during rests ({score.returns} of them or of the extras were the hand's return). "
                  f"Delay = command time minus the end of {end_of}.")
    return {"hits": hits, "prompts": len(prompts), "false": score.false_commands, "returns": score.returns,
            "events": [(round(e.t, 3), e.what) for e in events],
            "median_delay_s": float(np.median(delays)) if delays else None}


def _cost(costs: list[float], wall: float, seq: Any, console: Console) -> None:
    c = np.asarray(costs)
    console.print(f"Runtime cost per frame (smoothing + features + model + decisions, no landmark detection): "
                  f"mean {c.mean():.2f} ms, p95 {np.percentile(c, 95):.2f} ms, max {c.max():.1f} ms; "
                  f"{len(c)} frames in {wall:.1f} s = {seq.duration / max(wall, 1e-9):.0f}x faster than real time.")


def _run_video(rec: Any, path: Path, console: Console) -> dict[str, Any]:
    from gestura.capture.sources import open_source
    from gestura.landmarks.mediapipe_backend import MediaPipeHands

    events: list[_Event] = []
    costs: list[float] = []
    detect_ms: list[float] = []
    found = 0
    with open_source(path) as frames, MediaPipeHands(max_hands=2, static_image_mode=False) as hands:
        state = rec.session()
        for frame in frames:
            t0 = time.perf_counter()
            lf = hands.process(frame)
            detect_ms.append((time.perf_counter() - t0) * 1000)
            found += any(v is not None for v in lf.streams.values())
            pred = state.push(lf.streams, timestamp_ms=frame.t_ms)
            costs.append(pred.cost_ms)
            if pred.decision is not None and pred.decision.kind != "continuous":
                d = pred.decision
                what = pred.command or (CONTINUOUS_NAMES.get(d.label, d.label) + " off"
                                        if d.kind == "continuous_end" else "no_action")
                events.append(_Event(pred.t_ms / 1000, what, d.label, d.score))
            elif pred.decision is not None and not any(e.label == pred.decision.label and e.what.endswith(" on")
                                                       for e in events[-1:]):
                events.append(_Event(pred.t_ms / 1000, CONTINUOUS_NAMES.get(pred.decision.label, "?") + " on",
                                     pred.decision.label, pred.decision.score))
    n = len(costs)
    table = Table(title=f"Commands recognised in {path.name}", title_justify="left")
    for col in ("time", "class", "command", "score"):
        table.add_column(col)
    for ev in events:
        table.add_row(f"{ev.t:6.2f} s", ev.label, ev.what, f"{ev.score:.2f}")
    console.print(table if events else "[dim]no command fired (no control gesture recognised)[/]")
    console.print(f"{n} frames, a hand found in {found} ({found / max(n, 1):.0%}); MediaPipe {np.mean(detect_ms):.1f} "
                  f"ms/frame; runtime (smoothing + features + model + decisions) {np.mean(costs):.2f} ms/frame.")
    return {"frames": n, "hand_frames": found, "events": [(round(e.t, 3), e.what) for e in events],
            "frame_cost_ms": float(np.mean(costs)) if costs else 0.0}
