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
from typing import Any

import numpy as np

from gestura.data.prompts import Prompt
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
    hands: list[str] = [h for h in ("left_hand", "right_hand") if h in seq.streams]
    for i in range(seq.n_frames):
        streams: dict[str, np.ndarray | None] = {h: (np.asarray(seq.streams[h][i], np.float32) if seq.present[h][i] else None) for h in hands}
        yield LandmarkFrame(streams=streams, t_ms=int(round(float(seq.t[i]) * 1000)))


def recording_prompts(seq: LandmarkSequence) -> list[Prompt]:
    """The prompts of a frame-labelled recording as the person was asked them (training mirrors a left hand's
    windows and their labels itself)."""
    return stream_prompts(seq)


__all__ = ["ClockScheduler", "GuideResult", "GuideTiming", "GuidedEnrolment", "RecordingScheduler", "Slot",
           "TakeCheck", "check_take", "frames_of", "gesture_info", "recording_prompts"]
