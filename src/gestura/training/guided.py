"""Guided enrolment: show the next gesture, count down, record a take, check it, ask again when it is not usable,
fit the person's model, let them try each gesture once more, save a named profile.

The flow is a loop over landmark frames, so the same code runs on a webcam, a video file or a recorded landmark
session (played as the camera: the recording's own prompts then decide when each take happens, because that is
when the person did it). Everything a person sees goes out as small JSON messages through `publish` (the
enrolment page in `gestura.runtime.static.enrol.html` draws them; the console prints them):

    {"type": "enrol", "phase": "ready"|"go"|"checking"|"fitting"|"check"|"done", "gesture": ..., "gesture_name":
     ..., "icon": ..., "take": i, "takes": k, "progress": 0..1, "countdown": s, "message": ..., "results": [...]}

A take is rejected, with the reason said, when no hand was seen for most of it, when the hand did not move (a
still hand teaches nothing about a swipe), or when it looks far more like the person's own takes of another
gesture than like their takes of this one (someone swiping the wrong way). Rejected takes are asked again, up to
`max_tries` times per take.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gestura.data.streams import gesture_segments, stream_prompts
from gestura.errors import InputError
from gestura.features.motion import hand_motion, pose_delta
from gestura.landmarks.backend import LandmarkFrame, sequence_from_frames
from gestura.landmarks.sequence import LandmarkSequence
from gestura.runtime.presenter import GESTURE_NAMES

Publish = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class GuideTiming:
    """Seconds of each phase of a live take: the countdown with the gesture shown, the recording window, and the
    margin recorded after it (the end of a late gesture)."""

    ready_s: float = 2.0
    take_s: float = 1.6
    margin_s: float = 0.5
    lead_s: float = 1.0


@dataclass
class TakeCheck:
    """Whether a take is usable, and if not, the reason a person is told."""

    ok: bool
    reason: str = ""
    vector: np.ndarray | None = None


@dataclass
class Slot:
    """When one take happens: the gesture is shown from `ready_at`, performed between `go_at` and `end_at`."""

    label: str
    ready_at: float
    go_at: float
    end_at: float


@dataclass
class GuideResult:
    """What a guided enrolment produced: the accepted takes, the rejections with reasons, the check round."""

    takes: list[LandmarkSequence] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    check: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    bundle: Any = None
    adapt_seconds: float = 0.0


def gesture_info(label: str) -> tuple[str, str]:
    """(what a person does, picture id) for a class; a person's own gesture shows its name and a hand."""
    return GESTURE_NAMES.get(label, (label.replace("_", " "), "hand"))


def check_take(take: LandmarkSequence, slot: Slot, accepted: dict[str, list[np.ndarray]], *,
               min_present: float = 0.5, min_peak_speed: float = 1.0, margin: float = 0.5) -> TakeCheck:
    """Is `take` (frames around `slot`) a usable example of `slot.label`? See the module docstring for the rules;
    `accepted` holds the movement vectors (`pose_delta`: dx, dy, turn, openness) of the takes accepted so far."""
    sel = (take.t >= slot.go_at) & (take.t <= slot.end_at)
    present = take.any_hand_present()
    if not sel.any() or float(present[sel].mean()) < min_present:
        return TakeCheck(False, "no hand seen: keep your hand inside the camera picture")
    motion = hand_motion(take)
    speed = np.convolve(motion[:, 5], np.ones(3) / 3.0, mode="same")
    if float(speed[sel].max()) < min_peak_speed:
        return TakeCheck(False, "the hand hardly moved: do the whole gesture while the bar runs")
    seg = gesture_segments(take, [(slot.go_at, slot.end_at, slot.label)], rest_speed=0.5 * min_peak_speed,
                           min_peak=min_peak_speed)[0]
    if seg is None:
        return TakeCheck(False, "the hand hardly moved: do the whole gesture while the bar runs")
    lo, hi = (int(np.clip(np.searchsorted(take.t, s), 0, take.n_frames - 1)) for s in seg)
    valid = np.flatnonzero(motion[:, 0] > 0)
    if valid.size < 2:
        return TakeCheck(False, "no hand seen: keep your hand inside the camera picture")
    lo, hi = valid[np.argmin(np.abs(valid - lo))], valid[np.argmin(np.abs(valid - hi))]
    vec = pose_delta(motion[lo], motion[hi])
    own = accepted.get(slot.label, [])
    if own:
        d_own = float(np.linalg.norm(vec - np.mean(own, axis=0)))
        for other, vs in accepted.items():
            if other == slot.label or not vs:
                continue
            d_other = float(np.linalg.norm(vec - np.mean(vs, axis=0)))
            if d_other < margin * d_own:
                name = gesture_info(other)[0]
                return TakeCheck(False, f"that looked like your '{name}', not '{gesture_info(slot.label)[0]}': "
                                        "please do it again", vec)
    return TakeCheck(True, "", vec)


class ClockScheduler:
    """Live sources: each take starts when the previous one is done (`GuideTiming`), in the order asked."""

    def __init__(self, timing: GuideTiming = GuideTiming()) -> None:
        self.timing = timing

    def pick(self, jobs: Sequence[tuple[str, str]], now: float) -> tuple[tuple[str, str], Slot] | None:
        """The first job, starting now."""
        if not jobs:
            return None
        go = now + self.timing.ready_s
        return jobs[0], Slot(jobs[0][1], now, go, go + self.timing.take_s)


class RecordingScheduler:
    """A recorded session played as the camera: a take of `label` is the recording's next prompt of that class."""

    def __init__(self, prompts: Sequence[tuple[float, float, str]]) -> None:
        self.prompts = sorted(prompts)
        self.used: set[int] = set()

    def pick(self, jobs: Sequence[tuple[str, str]], now: float) -> tuple[tuple[str, str], Slot] | None:
        """The job whose gesture the recording prompts next (a check of a gesture only once all its enrolment
        takes are done); None when no remaining job has a prompt left."""
        enrolling = {c for kind, c in jobs if kind == "enrol"}
        for i, (start, end, lb) in enumerate(self.prompts):
            if i in self.used or start < now:
                continue
            for job in jobs:
                if job[1] == lb and (job[0] == "enrol" or lb not in enrolling):
                    self.used.add(i)
                    return job, Slot(lb, now, start, end)
        return None


class GuidedEnrolment:
    """The guided flow over one frame source; see the module docstring. `fit(takes) -> (bundle, seconds)` adapts
    the model (`gestura.training.enroll`), `classify(bundle, take, slot) -> (label | None, score)` says what the
    personal model recognised in a check take."""

    def __init__(self, classes: Sequence[str], k: int, fit: Callable[[list[LandmarkSequence]], tuple[Any, float]],
                 classify: Callable[[Any, LandmarkSequence, Slot], tuple[str | None, float]], *,
                 publish: Publish | None = None, scheduler: Any = None, timing: GuideTiming = GuideTiming(),
                 max_tries: int = 3, check_round: bool = True) -> None:
        if k < 1:
            raise InputError(f"--takes {k}: out of bounds (must be >= 1 take per gesture)")
        if not classes:
            raise InputError("no gesture to enrol")
        self.classes, self.k = list(classes), int(k)
        self.fit, self.classify = fit, classify
        self.publish = publish or (lambda msg: None)
        self.scheduler = scheduler or ClockScheduler(timing)
        self.timing = timing
        self.max_tries = max_tries
        self.check_round = check_round

    def _say(self, phase: str, slot: Slot | None = None, **extra: Any) -> None:
        msg: dict[str, Any] = {"type": "enrol", "phase": phase}
        if slot is not None:
            name, icon = gesture_info(slot.label)
            msg.update(gesture=slot.label, gesture_name=name, icon=icon)
        msg.update(extra)
        self.publish(msg)

    def run(self, frames: Iterable[LandmarkFrame]) -> GuideResult:
        """Play `frames` (with `t_ms`) through the flow; returns when the check round ends or the frames run out.

        Jobs are `("enrol", gesture)` (K per gesture) then `("check", gesture)` (one each); the scheduler picks the
        next job and its time. A check take recorded before the model is fitted (a recording whose prompts come
        in blocks) is kept and classified once the model exists."""
        res = GuideResult()
        jobs: list[tuple[str, str]] = [("enrol", c) for _ in range(self.k) for c in self.classes]
        jobs += [("check", c) for c in self.classes] if self.check_round else []
        total = self.k * len(self.classes)
        tries: dict[str, int] = {}
        accepted: dict[str, list[np.ndarray]] = {}
        deferred: list[tuple[Slot, LandmarkSequence]] = []
        buf: list[LandmarkFrame] = []
        job: tuple[str, str] | None = None
        slot: Slot | None = None
        last_sent: tuple[Any, ...] = ()
        for frame in frames:
            t = frame.t_ms / 1000.0
            buf.append(frame)
            if res.bundle is None and res.takes and not any(kind == "enrol" for kind, _ in jobs) and slot is None:
                res.bundle, res.adapt_seconds = self._fit(res)
                for dslot, dtake in deferred:
                    self._classify(res, dslot, dtake)
                deferred.clear()
            if slot is None:
                picked = self.scheduler.pick(jobs, t + (self.timing.lead_s if len(buf) == 1 else 0.0))
                if picked is None:
                    break
                job, slot = picked
            kind = job[0] if job else "enrol"
            done = total - sum(1 for kd, _ in jobs if kd == "enrol")
            shown = "ready" if kind == "enrol" else "check"
            if t < slot.go_at:
                state: tuple[Any, ...] = ("ready", round(slot.go_at - t, 1))
                if state != last_sent:
                    self._say(shown, slot, countdown=max(0.0, state[1]), take=done + 1, takes=total,
                              progress=done / max(total, 1))
                    last_sent = state
            elif t <= slot.end_at:
                state = ("go", round((slot.end_at - t) / 0.2))
                if state != last_sent:
                    frac = (t - slot.go_at) / max(slot.end_at - slot.go_at, 1e-6)
                    self._say("go" if kind == "enrol" else "check", slot, take=done + 1, takes=total,
                              progress=(done + (frac if kind == "enrol" else 0)) / max(total, 1), recording=True)
                    last_sent = state
            elif t >= slot.end_at + self.timing.margin_s:
                take = _cut(buf, slot.go_at - 1.0, t)
                buf = [f for f in buf if f.t_ms / 1000.0 >= t - 3.0]
                assert job is not None
                if kind == "enrol":
                    self._enrol_take(res, jobs, job, slot, take, accepted, tries, done, total)
                else:
                    jobs.remove(job)
                    if res.bundle is None:
                        deferred.append((slot, take))
                    else:
                        self._classify(res, slot, take)
                job, slot, last_sent = None, None, ()
        res.missing += [c for kind, c in jobs if kind == "enrol"]
        if res.bundle is None and res.takes:
            res.bundle, res.adapt_seconds = self._fit(res)
        if res.bundle is not None:
            for dslot, dtake in deferred:
                self._classify(res, dslot, dtake)
        return res

    def _enrol_take(self, res: GuideResult, jobs: list[tuple[str, str]], job: tuple[str, str], slot: Slot,
                    take: LandmarkSequence, accepted: dict[str, list[np.ndarray]], tries: dict[str, int],
                    done: int, total: int) -> None:
        check = check_take(take, slot, accepted)
        if check.ok:
            jobs.remove(job)
            assert check.vector is not None
            accepted.setdefault(slot.label, []).append(check.vector)
            res.takes.append(_labelled(take, slot))
            self._say("checking", slot, ok=True, message="got it", take=done + 1, takes=total,
                      progress=(done + 1) / max(total, 1))
            return
        res.rejected.append((slot.label, check.reason))
        key = f"{slot.label}#{len(accepted.get(slot.label, []))}"
        n = tries[key] = tries.get(key, 0) + 1
        msg = check.reason
        if n >= self.max_tries:
            jobs.remove(job)
            res.missing.append(slot.label)
            msg = f"{check.reason} (skipped after {n} tries)"
        self._say("checking", slot, ok=False, message=msg, take=done + 1, takes=total,
                  progress=done / max(total, 1))

    def _classify(self, res: GuideResult, slot: Slot, take: LandmarkSequence) -> None:
        label, score = self.classify(res.bundle, take, slot)
        row = {"gesture": slot.label, "recognised": label, "score": round(float(score), 3),
               "ok": label == slot.label, "gesture_name": gesture_info(slot.label)[0],
               "recognised_name": gesture_info(label)[0] if label else None}
        res.check.append(row)
        self._say("check", slot, result=row, results=list(res.check))

    def _fit(self, res: GuideResult) -> tuple[Any, float]:
        if not res.takes:
            raise InputError("enrolment: no usable take was recorded (" +
                             "; ".join(sorted({r for _, r in res.rejected})) + ")")
        self._say("fitting", message=f"fitting your model on {len(res.takes)} takes", progress=1.0)
        t0 = time.perf_counter()
        bundle, seconds = self.fit(res.takes)
        self._say("fitted", message=f"model fitted in {time.perf_counter() - t0:.1f} s", progress=1.0)
        return bundle, seconds


def _cut(frames: Sequence[LandmarkFrame], lo: float, hi: float) -> LandmarkSequence:
    part = [f for f in frames if lo <= f.t_ms / 1000.0 <= hi]
    t = np.array([f.t_ms / 1000.0 for f in part])
    fps = float((len(t) - 1) / max(t[-1] - t[0], 1e-6)) if len(t) > 1 else 30.0
    return sequence_from_frames(part, t, fps=fps, stream_names=["left_hand", "right_hand"])


def _labelled(take: LandmarkSequence, slot: Slot) -> LandmarkSequence:
    """The take with frame labels: the gesture over its recording window, `unknown` around it (the rest and the
    return, which must not fire)."""
    labels = np.where((take.t >= slot.go_at) & (take.t <= slot.end_at), slot.label, "unknown")
    take.frame_labels = labels.astype(object)
    return take


def frames_of(seq: LandmarkSequence) -> Iterator[LandmarkFrame]:
    """A landmark recording as the frames a camera + MediaPipe would have given (hands only)."""
    hands = [h for h in ("left_hand", "right_hand") if h in seq.streams]
    for i in range(seq.n_frames):
        streams = {h: (np.asarray(seq.streams[h][i], np.float32) if seq.present[h][i] else None) for h in hands}
        yield LandmarkFrame(streams=streams, t_ms=int(round(float(seq.t[i]) * 1000)))


def recording_prompts(seq: LandmarkSequence) -> list[tuple[float, float, str]]:
    """The prompts of a frame-labelled recording as the person was asked them (training mirrors a left hand's
    windows and their labels itself)."""
    return stream_prompts(seq)


__all__ = ["ClockScheduler", "GuideResult", "GuideTiming", "GuidedEnrolment", "RecordingScheduler", "Slot",
           "TakeCheck", "check_take", "frames_of", "gesture_info", "recording_prompts"]


# ------------------------------------------------------------------------------------------ the whole command
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
