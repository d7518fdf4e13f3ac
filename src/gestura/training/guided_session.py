"""`gestura enroll` end to end: the guided flow (`gestura.training.guided`) on a real source, with the page.

`enrol_guided` loads the model, picks the gestures (those the command map uses, or the ones asked for, plus a
person's own), turns the source into landmark frames (a webcam or a video through MediaPipe Hands, or a landmark
recording played as the camera, whose prompts then time the takes), serves the enrolment page, runs the flow,
adapts the model with the chosen method and saves the personal model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import InputError
from gestura.landmarks.backend import LandmarkFrame
from gestura.landmarks.sequence import LandmarkSequence
from gestura.training.guided import (GuidedEnrolment, GuideResult, Publish, RecordingScheduler, Slot, frames_of,
                                     recording_prompts)

ADAPT_METHODS = ("finetune", "probe", "prototype")


def enrol_classes(labels: Sequence[str], command_map: Any = None) -> list[str]:
    """The gestures a presenter enrols by default: the model's classes that fire a command in the command map
    (the same list the presenter page's legend shows), pointer classes excluded."""
    from gestura.runtime.presenter import legend_entries

    return [r["label"] for r in legend_entries(list(labels), command_map) if r["command"] != "pointer"]


def load_recording(path: Path) -> LandmarkSequence:
    """A landmark `.npz` with its prompts from the `groundtruth.txt` beside it when there is one (as `demo
    --stream` and `evaluate-stream` read it)."""
    from gestura.data.formats import load_dataset

    if path.suffix.lower() != ".npz" or not path.is_file():
        raise InputError(f"{path}: expected a landmark .npz file")
    if (path.parent / "groundtruth.txt").is_file():
        seq = next((s for s in load_dataset(path.parent).sequences if s.video_id == path.stem), None)
        if seq is not None:
            return seq
    return LandmarkSequence.from_npz(path)


def camera_frames(source: str, publish: Publish | None = None, preview_fps: float = 10.0,
                  ) -> Iterator[LandmarkFrame]:
    """Landmark frames of a webcam (`webcam` or an index) or a video file through MediaPipe Hands; with `publish`,
    a small preview (JPEG + hands) goes to the page `preview_fps` times a second."""
    from gestura.capture.sources import open_source
    from gestura.landmarks.mediapipe_backend import MediaPipeHands
    from gestura.runtime.present import _thumbnail

    src: str | int = 0 if source == "webcam" else int(source) if source.isdigit() else source
    last = -np.inf
    with open_source(src) as cam, MediaPipeHands() as hands:
        for frame in cam:
            lf = hands.process(frame)
            t = frame.t_ms / 1000.0
            if publish is not None and t - last >= 1.0 / preview_fps:
                last = t
                publish({"type": "preview", "jpeg": _thumbnail(frame), "hands": _hands_xy(lf.streams)})
            yield lf


def _hands_xy(streams: dict[str, np.ndarray | None]) -> dict[str, list[list[float]]]:
    return {n: np.round(np.asarray(h)[:, :2], 4).tolist() for n, h in streams.items()
            if n.endswith("_hand") and h is not None and np.any(h)}


def _paced(frames: Iterable[LandmarkFrame], speed: float, publish: Publish | None) -> Iterator[LandmarkFrame]:
    """Frames of a recording at `speed` x real time (0: as fast as they come), with hand previews for the page."""
    start = time.perf_counter()
    t0: float | None = None
    last = -np.inf
    for f in frames:
        t = f.t_ms / 1000.0
        t0 = t if t0 is None else t0
        if speed > 0:
            delay = (t - t0) / speed - (time.perf_counter() - start)
            if delay > 0:
                time.sleep(delay)
        if publish is not None and t - last >= 0.1:
            last = t
            publish({"type": "preview", "jpeg": None, "hands": _hands_xy(f.streams)})
        yield f


def make_fit(bundle: Any, method: str, seed: int = 0, replay_people: int = 1) -> Callable[[list[LandmarkSequence]],
                                                                                        tuple[Any, float]]:
    """`takes -> (personal bundle, seconds)`: the takes cut into labelled windows the way the model's recipe cuts
    its training streams, adapted with `method` (`finetune`: `enroll.adapt`; `probe`/`prototype`:
    `training.fewshot`), with generated sessions as replay so the gestures not shown are kept."""
    from gestura.data.streams import StreamWindowConfig, cut_dataset_windows
    from gestura.landmarks.smoothing import SmoothingConfig
    from gestura.runtime.recognizer import smooth_sequence
    from gestura.training.enroll import adapt, replay_set
    from gestura.training.fewshot import fewshot_adapt
    from gestura.training.presentation import PresentationRecipe, generated_windows

    if method not in ADAPT_METHODS:
        raise InputError(f"--method {method!r}: choose from {', '.join(ADAPT_METHODS)}")
    recipe = bundle.meta.get("recipe")
    rate = float(bundle.resample_fps or 30.0)
    wcfg = PresentationRecipe.model_validate(recipe).window_config() if isinstance(recipe, dict) else \
        StreamWindowConfig(rate_hz=rate, window_s=int(bundle.window) / rate)

    def fit(takes: list[LandmarkSequence]) -> tuple[Any, float]:
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        clips = cut_dataset_windows([smooth_sequence(t, SmoothingConfig()) for t in takes], wcfg, rng)
        if not clips:
            raise InputError("enrolment: the takes gave no training window")
        known = [lb for lb in bundle.labels if lb != "unknown"]
        replay = replay_set(generated_windows(replay_people, wcfg, rng, seed, classes=known), 40, rng) \
            if replay_people else []
        if method == "finetune":
            out = adapt(bundle, clips, replay=replay, seed=seed).bundle
        else:
            out, _ = fewshot_adapt(bundle, clips, replay=replay, method=method)
        return out, time.perf_counter() - t0

    return fit


def classify_take(bundle: Any, take: LandmarkSequence, slot: Slot) -> tuple[str | None, float]:
    """What the personal model does on a check take, through the runtime's replay: the first command it fires
    while the gesture is shown (and half a second after), else None with the best non-background score."""
    from gestura.runtime.engines import TorchEngine
    from gestura.runtime.recognizer import Recognizer
    from gestura.runtime.replay import replay

    rec = Recognizer(TorchEngine(bundle))
    pb = replay(rec, take)
    labels = list(pb.labels)
    sel = (pb.t >= slot.go_at) & (pb.t <= slot.end_at + 1.0)
    for t_ev, label in pb.events:
        if slot.go_at - 0.2 <= t_ev <= slot.end_at + 1.0:
            score = float(pb.probs[sel, labels.index(label)].max()) if sel.any() and label in labels else 1.0
            return str(label), score
    if not sel.any():
        return None, 0.0
    p = pb.probs[sel].max(axis=0)
    if "unknown" in labels:
        p[labels.index("unknown")] = -1
    return None, float(p.max())


def enrol_guided(
    artifact: str | Path | None,
    source: str,
    out: Path,
    *,
    k: int = 5,
    classes: Sequence[str] | None = None,
    commands: dict[str, str] | None = None,
    method: str = "finetune",
    replay_people: int = 1,
    page: bool = True,
    speed: float = 1.0,
    seed: int = 0,
    check_round: bool = True,
    say: Callable[[str], Any] | None = None,
    on_page: Callable[[str], Any] | None = None,
    page_timeout: float | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> GuideResult:
    """The guided enrolment end to end (see the module docstring): frames from `source` (webcam, camera index,
    video file, or a landmark `.npz` recording played as the camera at `speed` x real time), the page at a local
    URL (`on_page(url)` is called once it is up; recognition waits for the page), the personal model written to
    `out` (checked to be writable before anything starts). `commands` maps gestures of the person's own to
    commands; `replay_people` generated people keep the gestures the person did not show."""
    from gestura.artifact import ModelBundle
    from gestura.runtime.commands import CommandMap
    from gestura.runtime.presenter import PresenterServer, SlideDeck
    from gestura.runtime.recognizer import DEFAULT_ARTIFACT, model_command_map

    say = say or (lambda m: None)
    bundle = ModelBundle.load(artifact if artifact not in (None, "default") else DEFAULT_ARTIFACT)
    cmap = model_command_map(bundle.meta)
    if commands:
        cmap = CommandMap({**cmap.mapping, **commands})
    wanted = list(classes) if classes else enrol_classes(bundle.labels, cmap)
    for c in commands or {}:
        if c not in wanted:
            wanted.append(c)
    scheduler: Any = None
    rec_seq: LandmarkSequence | None = None
    if str(source).lower().endswith(".npz"):
        rec_seq = load_recording(Path(source))
        if rec_seq.frame_labels is not None:
            prompts = recording_prompts(rec_seq)
            shown = {lb for _, _, lb in prompts}
            absent = [c for c in wanted if c not in shown]
            if absent:
                say(f"{source}: the recording has no takes of {', '.join(absent)}; enrolling the others")
            wanted = [c for c in wanted if c in shown]
            if not wanted:
                raise InputError(f"{source}: none of the gestures to enrol is prompted in this recording")
            scheduler = RecordingScheduler(prompts)
    server = PresenterServer(SlideDeck(()), config={"page": "enrol", "title": "gestura enrolment"},
                             host=host, port=port) if page else None
    publish_page = server.hub.publish if server is not None else None

    announced: dict[str, Any] = {"key": None}

    def publish(msg: dict[str, Any]) -> None:
        if publish_page is not None:
            publish_page(msg)
        if msg.get("type") != "enrol":
            return
        ph = msg["phase"]
        if ph == "checking":
            announced["key"] = None
        if ph == "ready" and announced["key"] != (msg.get("take"), msg.get("gesture")):
            announced["key"] = (msg.get("take"), msg.get("gesture"))
            say(f"[{msg['take']}/{msg['takes']}] get ready: {msg['gesture_name']}")
        elif ph == "checking" and not msg.get("ok"):
            say(f"  take not used: {msg['message']}")
        elif ph in ("fitting", "fitted"):
            say(msg["message"])
        elif ph == "check" and "result" in msg:
            r = msg["result"]
            say(f"  check: {r['gesture']} -> {r['recognised'] or 'nothing'}")

    guide = GuidedEnrolment(wanted, k, make_fit(bundle, method, seed, replay_people), classify_take, publish=publish,
                            scheduler=scheduler, check_round=check_round)
    try:
        if server is not None:
            if on_page is not None:
                on_page(server.url)
            if not server.hub.wait_for_client(page_timeout):
                raise InputError(f"enrol: no page connected to {server.url} within {page_timeout} s")
        frames: Iterable[LandmarkFrame] = _paced(frames_of(rec_seq), speed, publish_page) if rec_seq is not None \
            else camera_frames(source, publish_page)
        res = guide.run(frames)
        if res.bundle is None:
            raise InputError(f"{source}: the source ended before any take was recorded")
        res.bundle.meta["enrolment"] = {
            "method": method, "k": k, "gestures": wanted, "takes": len(res.takes), "rejected": len(res.rejected),
            "missing": res.missing, "adapt_seconds": round(res.adapt_seconds, 2), "check": res.check,
            "source": Path(str(source)).name}
        if commands:
            res.bundle.meta["commands"] = {**(res.bundle.meta.get("commands") or {}), **commands}
        res.bundle.save(out)
        publish({"type": "enrol", "phase": "done", "profile": out.name, "results": res.check,
                 "message": f"saved to {out}"})
        if server is not None:
            _wait_ack(server.hub, lambda st: bool(st.get("done")), 5.0)
        return res
    finally:
        if server is not None:
            server.stop()


def _wait_ack(hub: Any, cond: Callable[[dict[str, Any]], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond(dict(hub.page_state)):
            return True
        time.sleep(0.05)
    return False


__all__ = ["ADAPT_METHODS", "camera_frames", "classify_take", "enrol_classes", "enrol_guided", "load_recording",
           "make_fit"]
