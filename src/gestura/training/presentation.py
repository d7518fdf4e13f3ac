"""The presentation controller's recipe as data: what it trains on, how windows are labelled, how it decides.

A recipe is a YAML file (`recipes/presentation-default.yaml` builds the packaged default) validated by
`PresentationRecipe` (unknown keys are an error; its paths are relative to the recipe file). `recipe_windows`
cuts the labelled training windows from recorded sessions (plus generated sessions and real signing as hard
negatives, as the recipe says) and `train_recipe` fits the model and stores the recipe's decision settings in the
artifact, so the runtime decides the way the recipe was measured. `build_from_recipe` is the whole build (every
recorded session, the model card quoting the recipe's fold results): `gestura train --recipe FILE`. The spotting
experiments train every fold with `train_recipe`: one recipe, one code path.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from dataclasses import replace

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gestura.data.streams import (
    StreamWindowConfig, background_windows, cut_dataset_windows, generated_stream_windows,
)
from gestura.artifact import ModelBundle
from gestura.data.formats import load_dataset
from gestura.errors import ConfigError, config_error
from gestura.features.augment import retarget_style
from gestura.features.motion import hand_motion
from gestura.features.pipeline import FeaturePipeline
from gestura.io import read_yaml_mapping, write_text
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.smoothing import SmoothingConfig
from gestura.runtime.decision import DecisionConfig
from gestura.runtime.recognizer import smooth_sequence
from gestura.training.enroll import fit_clips

STREAM_GESTURES = ("swiping_left", "swiping_right", "swiping_up", "swiping_down", "fist", "rotate_left",
                   "rotate_right")


class PresentationRecipe(BaseModel):
    """Everything that defines a presentation model: data mix, window labelling, model, training, decisions."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    kind: Literal["presentation"] = "presentation"
    model: str = "lstm"
    model_params: dict[str, Any] = Field(default_factory=dict)
    feature_schema: str = Field("feature-schema-v1", description="feature schema id (gestura.features.schema)")
    features: dict[str, Any] = Field(default_factory=dict, description="the feature schema's parameters")
    epochs: int = Field(25, ge=1, le=1000)
    lr: float = Field(2e-3, gt=0, le=1)
    seed: int = 0
    rate_hz: float = Field(30.0, gt=0, le=240)
    window_s: float = Field(1.0, gt=0, le=10)
    stride_s: float = Field(0.05, gt=0, le=10)
    align: Literal["prompt", "motion"] = "motion"
    unknown_per_positive: float = Field(1.5, ge=0, le=100)
    generated_people: int = Field(6, ge=0, le=100, description="generated people (2 sessions each) added")
    generated_classes: list[str] | None = Field(
        None, description="classes the generated sessions prompt (None: all eleven gestures)")
    signing_windows: int = Field(1500, ge=0, le=100_000, description="hard-negative windows of real signing")
    signing_data: str = "asl-traduttore/words"
    signing_by: str = "TheCamNelson"
    clips_people: dict[str, str] = Field(
        default_factory=dict, description="people of `clips_data` whose takes join the training windows, each "
        "mapped to who they are in the recorded sessions (a fold holding that person out drops their takes too)")
    clips_data: str = Field("presentation-clips", description="per-take clips (the presentation_clips format), "
                            "inside `datasets`")
    retarget_copies: int = Field(0, ge=0, le=10, description="copies of every real window re-expressed in the "
                                 "other style (a sweep as a turn of the hand, a turn as a sweep), fingertip path kept")
    retarget_amount: tuple[float, float] = Field((0.4, 0.9), description="share of the travel or turn moved over")
    decision: dict[str, Any] = Field(default_factory=dict, description="DecisionConfig settings stored in the "
                                     "artifact (meta.decision)")
    datasets: str = Field("../../shared/datasets", description="the shared datasets folder, relative to the "
                          "recipe file (sessions and signing_data are inside it)")
    sessions: str = Field("presentation-streams", description="the recorded sessions a full build trains on")
    licence: str = "Apache-2.0"
    fold_results: str | None = Field(None, description="the recipe's fold results (scripts/spotting_experiments.py "
                                     "--out), relative to the recipe file, quoted in the model card")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> PresentationRecipe:
        """Load and validate a recipe file; any problem is one `ConfigError` line naming the file."""
        return cls.from_mapping(read_yaml_mapping(path, "presentation recipe", ConfigError), path)

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], path: str | os.PathLike[str]) -> PresentationRecipe:
        """Validate a recipe mapping read from `path`; any problem is one `ConfigError` line naming the file."""
        try:
            recipe = cls.model_validate(raw)
        except ValidationError as err:
            raise config_error(err, str(path)) from None
        recipe.decision_config()
        try:
            recipe.pipeline()
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None
        return recipe

    def pipeline(self) -> FeaturePipeline:
        """The feature pipeline the recipe trains with (a bad schema or parameter is a `ConfigError`)."""
        return FeaturePipeline(self.feature_schema, dict(self.features))

    def window_config(self) -> StreamWindowConfig:
        return StreamWindowConfig(rate_hz=self.rate_hz, window_s=self.window_s, stride_s=self.stride_s,
                                  unknown_per_positive=self.unknown_per_positive, align=self.align)

    def decision_config(self) -> DecisionConfig:
        return DecisionConfig.from_dict(dict(self.decision), source="recipe decision")


def generated_windows(n_people: int, wcfg: StreamWindowConfig, rng: np.random.Generator, seed: int = 0,
                      classes: Sequence[str] | None = None) -> list[LandmarkSequence]:
    """Windows of generated continuous sessions (`n_people` x 2), through the runtime's landmark filter first."""
    smooth = SmoothingConfig()
    return generated_stream_windows(n_people, wcfg, rng, seed=seed + 101, classes=classes,
                                    transform=lambda s: smooth_sequence(s, smooth))


def signing_windows(n: int, wcfg: StreamWindowConfig, rng: np.random.Generator, data: str | os.PathLike[str],
                    signer: str) -> list[LandmarkSequence]:
    """`n` "no gesture" hard-negative windows of one signer's sign clips played back to back (people move their
    hands while they talk: that must not fire); the other signers stay held out for the false-command bench."""
    from gestura.data.formats import load_dataset

    seqs = [s for s in load_dataset(data).sequences if s.subject == signer]
    if not seqs:
        raise ConfigError(f"{data}: no sequence recorded by {signer!r}")
    seqs = [seqs[i] for i in rng.permutation(len(seqs))]
    return background_windows(seqs, wcfg, rng, max_windows=n, video_id=f"signing-{signer}")


def retargeted(clip: LandmarkSequence, rng: np.random.Generator, amount: tuple[float, float] = (0.4, 0.9),
               ) -> LandmarkSequence:
    """`clip` in the other style (`features.augment.retarget_style`): a hand that mostly travels is turned, a hand
    that mostly turns is moved; the share is drawn from `amount`."""
    share = float(rng.uniform(*amount))
    m = hand_motion(clip)
    ok = m[:, 0] > 0
    if ok.sum() < 2:
        return clip
    travel = float(np.hypot(np.ptp(m[ok, 1]), np.ptp(m[ok, 2])) / max(float(np.median(m[ok, 4])), 1e-6))
    turn = float(np.ptp(np.unwrap(m[ok, 3])))
    signed = share if travel > turn else -share
    streams = {name: retarget_style(x, clip.present[name], signed) if name.endswith("_hand") else x
               for name, x in clip.streams.items()}
    return replace(clip, streams=streams)


CLIP_LABELS = {"swipe_left": "swiping_left", "swipe_right": "swiping_right", "rotate_left": "rotate_left",
               "close_fist": "fist", "neutral_palm": "unknown", "pinch": "unknown", "finger_pistol": "unknown"}
"""presentation-clips label -> the stream class it trains (hand shapes that must not fire are `unknown`)."""
CLIP_HAND_SIZE = 0.12
"""Palm length (image units) a wrist-relative take is drawn at, about a presenter's hand at arm's length."""


def clip_windows(data: str | os.PathLike[str], people: Sequence[str], wcfg: StreamWindowConfig,
                 rng: np.random.Generator) -> list[LandmarkSequence]:
    """One labelled window per take of `people` in a presentation-clips folder.

    A take is wrist-relative (no travel), so it is drawn into the image at `CLIP_HAND_SIZE` around a random point
    near the middle, passed through the runtime's landmark filter, resampled to the window rate, and cut to the
    window with the most hand movement (a gesture) or a random one (the shapes that must not fire)."""
    from gestura.features.windows import resample_sequence

    takes = [t for t in load_dataset(data).sequences if t.subject in set(people)]
    if not takes:
        raise ConfigError(f"{data}: no take by {', '.join(people)}")
    smooth = SmoothingConfig()
    wf = wcfg.window_frames
    out: list[LandmarkSequence] = []
    for take in takes:
        label = CLIP_LABELS.get(str(take.label))
        if label is None:
            continue
        centre = np.array([rng.uniform(0.35, 0.65), rng.uniform(0.4, 0.7), 0.0], np.float32)
        streams = {k: (v * CLIP_HAND_SIZE + centre).astype(np.float32) for k, v in take.streams.items()}
        rs = resample_sequence(smooth_sequence(replace(take, streams=streams), smooth), wcfg.rate_hz)
        if rs.n_frames < wf:
            continue
        n_win = rs.n_frames - wf + 1
        if label == "unknown":
            start = int(rng.integers(n_win))
        else:
            speed = np.nan_to_num(hand_motion(rs)[:, 5])
            cum = np.concatenate([[0.0], np.cumsum(speed)])
            start = int(np.argmax(cum[wf:] - cum[:-wf]))
        clip = rs.slice(start, start + wf)
        out.append(replace(clip, label=label, frame_labels=None, episode=take.video_id,
                           attrs={**take.attrs, "clip": True}))
    return out


def recipe_windows(recipe: PresentationRecipe, sessions: Sequence[LandmarkSequence],
                   datasets: str | os.PathLike[str] | None = None, exclude_people: Sequence[str] = (),
                   ) -> tuple[list[LandmarkSequence], dict[str, int]]:
    """Labelled training windows of the recorded `sessions` (frame-labelled streams), plus the recipe's clips,
    generated sessions and signing hard negatives (read from `datasets`). Clips of a person in `exclude_people`
    (a held-out fold's person) are left out. Everything passes the runtime's landmark filter first, as at run
    time. Returns the windows and their count per source."""
    rng = np.random.default_rng(recipe.seed)
    wcfg = recipe.window_config()
    real = cut_dataset_windows([smooth_sequence(s, SmoothingConfig()) for s in sessions], wcfg, rng)
    real += [retargeted(c, rng, recipe.retarget_amount) for _ in range(recipe.retarget_copies) for c in real]
    gen = generated_windows(recipe.generated_people, wcfg, rng, recipe.seed, recipe.generated_classes) \
        if recipe.generated_people else []
    neg: list[LandmarkSequence] = []
    if recipe.signing_windows:
        if datasets is None:
            raise ConfigError("the recipe asks for signing negatives: pass the shared datasets folder")
        neg = signing_windows(recipe.signing_windows, wcfg, rng, Path(datasets) / recipe.signing_data,
                              recipe.signing_by)
    clips: list[LandmarkSequence] = []
    people = [p for p, who in recipe.clips_people.items() if who not in set(exclude_people)]
    if people:
        if datasets is None:
            raise ConfigError("the recipe asks for presentation clips: pass the shared datasets folder")
        clips = clip_windows(Path(datasets) / recipe.clips_data, people, wcfg, rng)
    counts = {"real": len(real), "generated": len(gen), "signing": len(neg)}
    if clips:
        counts["clips"] = len(clips)
    return real + clips + gen + neg, counts


def train_recipe(recipe: PresentationRecipe, sessions: Sequence[LandmarkSequence],
                 datasets: str | os.PathLike[str] | None = None, meta: dict[str, Any] | None = None,
                 progress: bool = False, exclude_people: Sequence[str] = ()) -> ModelBundle:
    """Fit the recipe on `sessions` (clips of `exclude_people` left out); the bundle carries the recipe and its
    decision settings in `meta`."""
    clips, counts = recipe_windows(recipe, sessions, datasets, exclude_people)
    labels = sorted({str(c.label) for c in clips})
    res = fit_clips(clips, labels, model=recipe.model, model_params=dict(recipe.model_params),
                    epochs=recipe.epochs, lr=recipe.lr, window=recipe.window_config().window_frames,
                    resample_fps=recipe.rate_hz, seed=recipe.seed,
                    pipeline=recipe.pipeline(), progress=progress)
    bundle = res.bundle
    bundle.meta.update(meta or {})
    bundle.meta["recipe"] = recipe.model_dump()
    bundle.meta["windows"] = counts
    bundle.meta["decision"] = recipe.decision_config().model_dump()
    bundle.meta["training"] = {"seconds": round(res.seconds, 1), "epochs": recipe.epochs, "seed": recipe.seed}
    return bundle


RECIPE_SETTING = "recipe's decision"
"""The name the spotting experiments give the recipe's own decision settings."""


def build_from_recipe(path: str | os.PathLike[str], out: str | os.PathLike[str], progress: bool = False,
                      datasets: str | os.PathLike[str] | None = None,
                      recipe: PresentationRecipe | None = None) -> ModelBundle:
    """Train the recipe file `path` on every recorded session and write the artifact and its model card to `out`
    (`gestura train --recipe recipes/presentation-default.yaml` builds the packaged default this way).
    `datasets` replaces the recipe's shared datasets folder; `recipe` is the file already read (with overrides)."""
    recipe = recipe if recipe is not None else PresentationRecipe.from_yaml(path)
    here = Path(path).resolve().parent
    root = Path(datasets) if datasets is not None else here / recipe.datasets
    session_dir = root / recipe.sessions
    if not session_dir.exists():
        raise ConfigError(f"{path}: sessions folder {session_dir} not found (set datasets: in the recipe)")
    sessions = list(load_dataset(session_dir).sequences)
    results = read_fold_results(here / recipe.fold_results) if recipe.fold_results else {}
    if recipe.fold_results and not results:
        print(f"{here / recipe.fold_results}: not found; the model card will not quote fold results",
              file=sys.stderr)
    people: dict[str, list[str]] = {}
    for s in sessions:
        people.setdefault(str(s.subject), []).append(str(s.session))
    meta = {
        "data": {"real": f"{recipe.sessions} ({recipe.datasets}, {recipe.licence}): "
                         + ", ".join(f"{p} {len(v)} sessions" for p, v in sorted(people.items())),
                 "generated": f"{recipe.generated_people} generated people x 2 sessions (gestura.data.synthetic)",
                 "hard_negatives": f"{recipe.signing_windows} windows of real signing ({recipe.signing_data}, "
                                   f"signer {recipe.signing_by} only, MIT licence)"},
        "hard_negatives": {"path": recipe.signing_data, "recorded_by": recipe.signing_by,
                           "windows": recipe.signing_windows, "licence": "MIT"} if recipe.signing_windows else None,
        "licence": recipe.licence,
        "folds": fold_summary(results),
    }
    t0 = time.perf_counter()
    bundle = train_recipe(recipe, sessions, root, meta=meta, progress=progress)
    bundle.save(out, card=False)
    write_text(Path(out) / "README.md", model_card(bundle, Path(path), results))
    if progress:
        size = sum(p.stat().st_size for p in Path(out).iterdir()) / 1e6
        print(f"wrote {out} ({size:.2f} MB, {len(bundle.labels)} labels, windows {bundle.meta['windows']}, "
              f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return bundle


def refresh_card(path: str | os.PathLike[str], out: str | os.PathLike[str],
                 results: str | os.PathLike[str]) -> None:
    """Rewrite a built artifact's model card (and its `meta.folds`) from the fold results file `results`."""
    found = read_fold_results(results)
    if not found:
        raise ConfigError(f"{results}: no fold results")
    bundle = ModelBundle.load(out)
    bundle.meta["folds"] = fold_summary(found)
    bundle.save(out, card=False)
    write_text(Path(out) / "README.md", model_card(bundle, Path(path), found))


def read_fold_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The spotting experiments' JSON, or `{}` when the file does not exist."""
    p = Path(path)
    if not p.is_file():
        return {}
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{p}: not JSON ({err.msg}, line {err.lineno})") from None


def fold_summary(results: dict[str, Any]) -> dict[str, Any]:
    """fold -> the recipe's own decision settings' event-level numbers (the last setting of each fold)."""
    out = {}
    for fold, v in results.items():
        if not isinstance(v, dict) or "settings" not in v or fold == "settings":
            continue
        name = RECIPE_SETTING if RECIPE_SETTING in v["settings"] else list(v["settings"])[-1]
        s = v["settings"][name]
        out[fold] = {k: s[k] for k in ("hit_rate", "confusion_rate", "false_per_hour", "returns", "mirrored_hit_rate",
                                       "latency_p50_s", "latency_p90_s", "latency_from_end_p50_s",
                                       "latency_from_end_p90_s")}
        out[fold]["segment_given"] = v.get("segment_given")
    return out


def _shown(path: Path) -> str:
    """`path` relative to the working folder when it lies below it, else as given."""
    rel = os.path.relpath(path.resolve())
    return path.as_posix() if rel.startswith("..") else Path(rel).as_posix()


def model_card(bundle: ModelBundle, recipe_path: Path, results: dict[str, Any]) -> str:
    """The default's README: data and licence, held-out numbers of this exact recipe, how to adapt."""
    rows = []
    for fold, s in fold_summary(results).items():
        def f(x: Any, nd: int = 2) -> str:
            return "-" if x is None else f"{x:.{nd}f}"
        rows.append(f"| {fold} | {f(s['hit_rate'])} | {f(s['confusion_rate'])} | {f(s['false_per_hour'], 0)} | "
                    f"{s['returns']} | {f(s['mirrored_hit_rate'])} | {f(s['latency_from_end_p50_s'])} / "
                    f"{f(s['latency_from_end_p90_s'])} | {f(s['segment_given'])} |")
    table = ("| fold (train -> test) | prompts hit | confused | false / h rest | returns | mirrored session hit | "
             "latency from movement end p50 / p90 (s) | hit, segment given |\n|---|---|---|---|---|---|---|---|\n"
             + "\n".join(rows)) if rows else "(not recorded: run the experiment first)"
    w = bundle.meta["windows"]
    licence = bundle.meta.get("licence", "Apache-2.0")
    schema = bundle.meta["recipe"].get("feature_schema", "feature-schema-v1")
    params = bundle.meta["recipe"].get("features") or {}
    schema_text = f"`{schema}`" + (" (" + ", ".join(f"`{k}: {json.dumps(v)}`" for k, v in sorted(params.items())) + ")"
                                   if params else "")
    clips = (f" {w['clips']} windows of per-take clips (`presentation-clips`: "
             f"{', '.join(bundle.meta['recipe'].get('clips_people') or {})}, Apache-2.0),") if w.get("clips") else ""
    return f"""# gestura embedded default model

**Training data.** {w['real']} windows of every session of `presentation-streams` (two people, five sessions, about 18
minutes of continuous webcam landmarks, seven prompted gestures: swipes x4, fist, rotate_left/right, with the rests
between them as `unknown`; Apache-2.0),{clips} {w['generated']} windows of generated continuous sessions of all eleven
gestures (`gestura.data.synthetic`: zooming and pointing are not in the recordings), and
{bundle.meta['data']['hard_negatives']} as "no gesture".

- Recipe: `{_shown(recipe_path)}`
  (`gestura.training.presentation`); built by `gestura train --recipe {_shown(recipe_path)}`. Licence: {licence}.
- Architecture `{bundle.meta['recipe']['model']}`, features {schema_text} in canonical (right-hand) space: a left
  hand is mirrored, shape and motion, and its label with it (docs/streams.md, "Handedness"). Window
  {bundle.window} frames at {bundle.resample_fps:g} Hz, labels aligned to the hand's own movement.
- Classes ({len(bundle.labels)}): {', '.join(bundle.labels)}. rotate_left/right map to no command.
- Decisions (`meta.decision`): fire when the smoothed probability holds above the threshold, only if the hand
  moved (a raised, still hand fires nothing), and never on a gesture's return: the hand's path is watched until
  it has come back and rested (docs/runtime.md).

**What to expect.** This model has seen both recorded people, so it has no held-out number of its own. The same
recipe with one session, or one person, held out and scored event by event on what it did not see
(`scripts/spotting_experiments.py --recipe {recipe_path.name}`, docs/results.md "Gesture spotting"):

{table}

"Mirrored session hit": the held-out session mirrored (a left-handed presenter): the same by construction.
"Segment given": the classifier alone when the gesture's segment is handed to it. Far from the targets on a person
it never saw (>= 0.80 hit, <= 30 false commands per hour of rest; the "joschua -> meric" / "meric -> joschua"
rows above are this recipe zero-shot): **enrol yourself** on the guided page, then present with your profile
(enrolment helps one direction and does not close the gap: docs/results.md "A presenter it never saw"):

    gestura enroll --name me
    gestura present me
"""


__all__ = ["PresentationRecipe", "RECIPE_SETTING", "STREAM_GESTURES", "build_from_recipe", "fold_summary",
           "generated_windows", "model_card", "recipe_windows", "refresh_card", "signing_windows", "train_recipe"]
