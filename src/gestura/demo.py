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
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

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
def _generated_session(seed: int) -> tuple[Any, list[tuple[str, float, float]]]:
    from gestura.data.synthetic import SubjectStyle, make_session

    rng = np.random.default_rng([seed, 7_000_003])
    style = SubjectStyle.sample(rng, subject=f"demo{seed}", handedness="right")
    seq = make_session(list(DEMO_SCRIPT), style, seed=seed + 7_000_003)
    prompts = [(str(lb), float(a), float(b)) for lb, a, b in seq.attrs["motions"]]
    return seq, prompts


def _load_stream(path: Path) -> tuple[Any, list[tuple[str, float, float]]]:
    from gestura.errors import InputError
    from gestura.landmarks.sequence import LandmarkSequence

    if path.suffix.lower() != ".npz":
        raise InputError(f"{path}: --stream takes a landmark .npz (seed-003 layout)")
    seq = LandmarkSequence.from_npz(path)
    prompts: list[tuple[str, float, float]] = []
    gt = path.with_name("groundtruth.txt")
    if gt.is_file():
        marks = []
        for line in gt.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == path.stem:
                marks.append((int(parts[1]), parts[2]))
        marks.sort()
        for (f0, lb), nxt in zip(marks, marks[1:] + [(seq.n_frames, "")]):
            if lb != "unknown":
                end = seq.t[min(nxt[0], seq.n_frames - 1)]
                prompts.append((lb, float(seq.t[min(f0, seq.n_frames - 1)]), float(end)))
    return seq, prompts


# ---------------------------------------------------------------------------------------------- playback
def _play(rec: Any, seq: Any) -> tuple[list[_Event], list[float], float]:
    from gestura.runtime.commands import CommandMap, Dispatcher, LogBackend

    log = LogBackend(stream=None)
    dispatcher = Dispatcher(rec.command_map if isinstance(rec.command_map, CommandMap) else None, [log])
    events: list[_Event] = []
    costs: list[float] = []
    t0 = time.perf_counter()
    active: dict[str, float] = {}
    for pred in rec.stream(seq):
        costs.append(pred.cost_ms)
        d = pred.decision
        if d is None:
            continue
        t = pred.t_ms / 1000.0
        if d.kind == "discrete":
            ev = dispatcher.handle(d.label, d.score, t)
            what = ev.command if ev is not None else "no_action"
            events.append(_Event(t, what, d.label, d.score))
        elif d.kind == "continuous" and d.label not in active:
            active[d.label] = t
            events.append(_Event(t, CONTINUOUS_NAMES.get(d.label, d.label) + " on", d.label, d.score))
        elif d.kind == "continuous_end":
            active.pop(d.label, None)
            events.append(_Event(t, CONTINUOUS_NAMES.get(d.label, d.label) + " off", d.label, d.score))
    return events, costs, time.perf_counter() - t0


def _expected(label: str) -> str:
    from gestura.runtime.commands import CommandMap

    if label in CONTINUOUS_NAMES:
        return CONTINUOUS_NAMES[label] + " on"
    return CommandMap().command_for(label)


def _timeline(prompts: list[tuple[str, float, float]], events: list[_Event], console: Console,
              end_of: str = "the hand's movement") -> dict[str, Any]:
    table = Table(title="What was performed vs. what the runtime did", title_justify="left")
    for col, kw in (("time", {"justify": "right"}), ("performed", {}), ("expected", {}), ("recognised", {}),
                    ("delay", {"justify": "right"}), ("", {})):
        table.add_column(col, **kw)
    used: set[int] = set()
    hits = 0
    rows: list[tuple[float, list[str]]] = []
    for label, a, b in prompts:
        want = _expected(label)
        match = None
        for i, ev in enumerate(events):
            if i in used or ev.what.endswith(" off") or not (a <= ev.t <= b + GRACE_S):
                continue
            match = i
            break
        if match is None:
            hits += want == "no_action"
            verdict = "[green]ok[/]" if want == "no_action" else "[red]missed[/]"
            rows.append((a, [f"{a:6.1f} s", label, want, "[dim]-[/]", "", verdict]))
            continue
        used.add(match)
        ev = events[match]
        ok = ev.what == want
        hits += ok
        rows.append((a, [f"{a:6.1f} s", label, want, f"{ev.what} ({ev.score:.2f})", f"{(ev.t - b) * 1000:+.0f} ms",
                         "[green]ok[/]" if ok else "[yellow]wrong[/]"]))
    false = [ev for i, ev in enumerate(events)
             if i not in used and not ev.what.endswith(" off") and ev.what != "no_action"]
    for ev in false:
        rows.append((ev.t, [f"{ev.t:6.1f} s", "[dim](rest)[/]", "[dim]nothing[/]", f"{ev.what} ({ev.score:.2f})",
                            "", "[red]false[/]"]))
    for _, cells in sorted(rows, key=lambda r: r[0]):
        table.add_row(*cells)
    console.print(table)
    n = len(prompts)
    delays = [events[i].t - b for (lb, a, b), i in zip(prompts, sorted(used))] if used else []
    console.print(f"[bold]{hits} of {n}[/] gestures gave the right command; {len(false)} command(s) fired "
                  f"during rests. Delay = command time minus the end of {end_of}.")
    return {"hits": hits, "prompts": n, "false": len(false),
            "events": [(round(e.t, 3), e.what) for e in events], "median_delay_s":
            float(np.median(delays)) if delays else None}


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
            pred = state.push(lf.streams, frame.t_ms / 1000.0)
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
