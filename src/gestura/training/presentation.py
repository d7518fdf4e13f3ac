"""The presentation controller's recipe as data: what it trains on, how windows are labelled, how it decides.

A recipe is a YAML file (`recipes/presentation-default.yaml` builds the packaged default) validated by
`PresentationRecipe` (unknown keys are an error). `recipe_windows` cuts the labelled training windows from
recorded sessions (plus generated sessions and real signing as hard negatives, as the recipe says) and
`train_recipe` fits the model and stores the recipe's decision settings in the artifact, so the runtime decides
the way the recipe was measured. The packaged default's build script and the spotting experiments (every fold)
call these two functions: one recipe, one code path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from dataclasses import replace

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gestura.data.streams import (
    StreamWindowConfig, background_windows, cut_dataset_windows, generated_stream_windows,
)
from gestura.errors import ConfigError
from gestura.features.augment import retarget_style
from gestura.features.motion import hand_motion
from gestura.io import read_yaml_mapping
from gestura.landmarks.sequence import LandmarkSequence
from gestura.landmarks.smoothing import SmoothingConfig
from gestura.runtime.decision import DecisionConfig
from gestura.runtime.recognizer import smooth_sequence

STREAM_GESTURES = ("swiping_left", "swiping_right", "swiping_up", "swiping_down", "fist", "rotate_left",
                   "rotate_right")


class PresentationRecipe(BaseModel):
    """Everything that defines a presentation model: data mix, window labelling, model, training, decisions."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = "lstm"
    model_params: dict[str, Any] = Field(default_factory=dict)
    features: dict[str, Any] = Field(default_factory=dict, description="feature-schema-v1 parameters")
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
    retarget_copies: int = Field(0, ge=0, le=10, description="copies of every real window re-expressed in the "
                                 "other style (a sweep as a turn of the hand, a turn as a sweep), fingertip path kept")
    retarget_amount: tuple[float, float] = Field((0.4, 0.9), description="share of the travel or turn moved over")
    decision: dict[str, Any] = Field(default_factory=dict, description="DecisionConfig settings stored in the "
                                     "artifact (meta.decision)")

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> PresentationRecipe:
        """Load and validate a recipe file; any problem is one `ConfigError` line naming the file."""
        raw = read_yaml_mapping(path, "presentation recipe", ConfigError)
        try:
            recipe = cls.model_validate(raw)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "value"
            raise ConfigError(f"{path}: {where}: {first['msg']}") from None
        recipe.decision_config()
        return recipe

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


def recipe_windows(recipe: PresentationRecipe, sessions: Sequence[LandmarkSequence],
                   datasets: str | os.PathLike[str] | None = None) -> tuple[list[LandmarkSequence], dict[str, int]]:
    """Labelled training windows of the recorded `sessions` (frame-labelled streams), plus the recipe's generated
    sessions and signing hard negatives (read from `datasets`/`signing_data`). Everything passes the runtime's
    landmark filter first, as at run time. Returns the windows and their count per source."""
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
    return real + gen + neg, {"real": len(real), "generated": len(gen), "signing": len(neg)}


def train_recipe(recipe: PresentationRecipe, sessions: Sequence[LandmarkSequence],
                 datasets: str | os.PathLike[str] | None = None, meta: dict[str, Any] | None = None) -> Any:
    """Fit the recipe on `sessions`; the bundle carries the recipe and its decision settings in `meta`."""
    from gestura.features.pipeline import FeaturePipeline
    from gestura.training.enroll import fit_clips

    clips, counts = recipe_windows(recipe, sessions, datasets)
    labels = sorted({str(c.label) for c in clips})
    res = fit_clips(clips, labels, model=recipe.model, model_params=dict(recipe.model_params),
                    epochs=recipe.epochs, lr=recipe.lr, window=recipe.window_config().window_frames,
                    resample_fps=recipe.rate_hz, seed=recipe.seed,
                    pipeline=FeaturePipeline("feature-schema-v1", dict(recipe.features)))
    bundle = res.bundle
    bundle.meta.update(meta or {})
    bundle.meta["recipe"] = recipe.model_dump()
    bundle.meta["windows"] = counts
    bundle.meta["decision"] = recipe.decision_config().model_dump()
    bundle.meta["training"] = {"seconds": round(res.seconds, 1), "epochs": recipe.epochs, "seed": recipe.seed}
    return bundle


__all__ = ["PresentationRecipe", "STREAM_GESTURES", "generated_windows", "recipe_windows", "signing_windows",
           "train_recipe"]
