"""The sign recognizer's recipe as data: which clips, which features, which model, how it was measured.

A sign recipe is a YAML file with `kind: signs` (`recipes/sign-words.yaml` builds the best sign artifact for the
shared asl-traduttore words) validated by `SignRecipe` (unknown keys are an error; paths are relative to the recipe
file). `build_sign_recipe` trains one model on every clip (validation: whole sessions of the training people, as in
the leave-one-signer-out protocol) with the settings the protocol measured, and writes the artifact with a model
card that quotes the person-held-out numbers of those settings from the protocol's results file
(`scripts/sign_protocol.py --out`). `hold_out` leaves one signer out instead, exactly as the protocol's fold does,
and writes its `splits.json` so `gestura evaluate` scores that signer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gestura.artifact import ModelBundle
from gestura.data.formats import load_dataset
from gestura.data.splits import Split, held_out_folds, session_validation
from gestura.errors import ConfigError, config_error
from gestura.features.pipeline import FeaturePipeline
from gestura.io import write_text
from gestura.models import create_model
from gestura.training.callbacks import EarlyStopping
from gestura.training.trainer import FitConfig, FitData, fit


class SignRecipe(BaseModel):
    """Everything that defines a sign model: data, features, model, training schedule, where it was measured."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    kind: Literal["signs"] = "signs"
    data: str = Field("asl-traduttore/words", description="clip-labelled dataset, relative to `datasets`")
    datasets: str = Field("../../shared/datasets", description="the shared datasets folder, relative to the recipe")
    features: str = "sign-multimodal-v1"
    feature_params: dict[str, Any] = Field(default_factory=dict)
    model: str = "transformer"
    model_params: dict[str, Any] = Field(default_factory=dict)
    epochs: int = Field(12, ge=1, le=1000)
    patience: int = Field(4, ge=1, le=1000, description="early stopping on the validation sessions")
    lr: float = Field(2e-3, gt=0, le=1)
    batch_size: int = Field(64, ge=1, le=65536)
    seed: int = 0
    val_fraction: float = Field(0.15, gt=0, lt=1, description="share of the training sessions used for validation")
    split_seed: int = Field(0, description="draws the validation sessions (the protocol's folds use 0)")
    hold_out: str | None = Field(None, description="a signer left out (splits.json: `gestura evaluate` scores them)")
    max_per_class: int | None = Field(None, ge=1, description="at most this many clips per class (quick builds)")
    licence: str = "MIT"
    fold_results: str | None = Field(None, description="the protocol's results.json (scripts/sign_protocol.py "
                                     "--out), relative to the recipe file, quoted in the model card")

    @classmethod
    def from_mapping(cls, raw: dict[str, Any], path: str | os.PathLike[str]) -> SignRecipe:
        """Validate a recipe mapping read from `path`; any problem is one `ConfigError` line naming the file."""
        try:
            recipe = cls.model_validate(raw)
        except ValidationError as err:
            raise config_error(err, str(path)) from None
        try:
            FeaturePipeline(recipe.features, dict(recipe.feature_params))
        except Exception as err:  # noqa: BLE001 - any schema problem is the recipe's
            raise ConfigError(f"{path}: features: {err}") from None
        return recipe


def _subset(seqs: list[Any], per_class: int | None, seed: int) -> list[Any]:
    """At most `per_class` clips of each label (drawn with `seed`), in the original order."""
    if per_class is None:
        return seqs
    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = {}
    for i, s in enumerate(seqs):
        by.setdefault(str(s.label), []).append(i)
    keep = sorted(j for ids in by.values()
                  for j in (rng.choice(ids, per_class, replace=False) if len(ids) > per_class else ids))
    return [seqs[j] for j in keep]


def train_signs(recipe: SignRecipe, seqs: list[Any], progress: bool = False,
                ) -> tuple[ModelBundle, Split]:
    """Fit the recipe on clip-labelled `seqs`: every clip (or all but `hold_out`'s), whole training sessions as
    validation for early stopping. Returns the bundle and the split it used."""
    import torch

    if recipe.hold_out is not None:
        folds = {f.name: f for f in held_out_folds(seqs, by="subject", val_fraction=recipe.val_fraction,
                                                   seed=recipe.split_seed)}
        if recipe.hold_out not in folds:
            raise ConfigError(f"hold_out: no signer {recipe.hold_out!r}; signers: {sorted(folds)}")
        f = folds[recipe.hold_out]
        split = Split(train=f.train, val=f.val, test=f.test, group_by="subject", seed=recipe.split_seed,
                      groups={"test": [recipe.hold_out]})
        labels = list(f.train_classes)
    else:
        train, val = session_validation(seqs, recipe.val_fraction, recipe.split_seed)
        split = Split(train=train, val=val, test=[], group_by="session", seed=recipe.split_seed)
        labels = sorted({str(s.label) for s in seqs if s.label is not None})
    window = max(s.n_frames for s in seqs)
    by_id = {s.video_id: s for s in seqs}
    pipeline = FeaturePipeline(recipe.features, dict(recipe.feature_params))
    data = FitData.from_clips([by_id[i] for i in split.train], pipeline, labels, window,
                              val_clips=[by_id[i] for i in split.val] or None, seed=recipe.seed)
    torch.manual_seed(recipe.seed)
    net = create_model(recipe.model, input_dim=pipeline.dim, num_classes=len(labels), **recipe.model_params)
    config = FitConfig(epochs=recipe.epochs, lr=recipe.lr, batch_size=recipe.batch_size, seed=recipe.seed,
                       progress=progress, callbacks=(EarlyStopping(recipe.patience),) if split.val else ())
    res = fit(net, data, config)
    split.window, split.stride = window, window
    bundle = ModelBundle(model=net.eval(), pipeline=pipeline, labels=labels, window=window, stride=window,
                         meta={"training": {"seconds": round(res.seconds, 1), "epochs": recipe.epochs,
                                            "patience": recipe.patience, "seed": recipe.seed,
                                            "train_clips": len(split.train), "val_clips": len(split.val),
                                            "held_out": recipe.hold_out}})
    return bundle, split


def build_sign_recipe(recipe: SignRecipe, path: str | os.PathLike[str], out: str | os.PathLike[str],
                      progress: bool = False, datasets: str | os.PathLike[str] | None = None) -> ModelBundle:
    """Train `recipe` (read from the file `path`) and write the artifact and its model card to `out` (and the
    `splits.json` of a held-out signer). `datasets` replaces the recipe's shared datasets folder."""
    here = Path(path).resolve().parent
    root = Path(datasets) if datasets is not None else here / recipe.datasets
    data_dir = root / recipe.data
    if not data_dir.exists():
        raise ConfigError(f"{path}: dataset {data_dir} not found (set datasets: or data: in the recipe)")
    seqs = _subset(list(load_dataset(data_dir).sequences), recipe.max_per_class, recipe.seed)
    results_path = here / recipe.fold_results if recipe.fold_results else None
    results = read_sign_results(results_path) if results_path else {}
    if results_path is not None and not results:
        print(f"{results_path}: not found; the model card will say so", file=sys.stderr)
    t0 = time.perf_counter()
    bundle, split = train_signs(recipe, seqs, progress=progress)
    people: dict[str, int] = {}
    for s in seqs:
        people[str(s.subject)] = people.get(str(s.subject), 0) + 1
    held = held_out_summary(results, recipe)
    bundle.meta.update({
        "recipe": recipe.model_dump(),
        "data": {"path": recipe.data, "clips": len(seqs), "people": people, "licence": recipe.licence},
        "licence": recipe.licence,
        "person_held_out": held,
    })
    bundle.save(out, card=False)
    if split.test:  # only a held-out signer is a test part; without one `gestura evaluate` asks for --split all
        split.save(Path(out) / "splits.json")
    write_text(Path(out) / "README.md", sign_card(bundle, Path(path), held, results_path))
    if progress:
        print(f"wrote {out} ({len(bundle.labels)} labels, {len(split.train)} training clips, "
              f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return bundle


def read_sign_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The protocol's results.json, or `{}` when the file does not exist; bad JSON is one line naming it."""
    p = Path(path)
    if not p.is_file():
        return {}
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{p}: not JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list):
        raise ConfigError(f"{p}: not a sign protocol results file (no 'runs' list)")
    return doc


def held_out_summary(results: dict[str, Any], recipe: SignRecipe) -> dict[str, Any] | None:
    """The leave-one-signer-out rows of the recipe's model and features: accuracy per held-out signer (mean and
    sd over seeds), the mean over signers per seed (mean and sd over the seeds that ran every signer), the
    seeds and the commands that produced them; None when the results hold no such row."""
    name = Path(recipe.data).name
    rows = [r for r in results.get("runs", []) if r.get("protocol") == "subject" and r.get("data") == name
            and r.get("model") == recipe.model and r.get("features") == recipe.features]
    if not rows:
        return None
    per: dict[str, dict[int, dict[str, Any]]] = {}
    for r in rows:
        per.setdefault(str(r["fold"]), {})[int(r["seed"])] = r
    signers = [str(f["name"]) for f in results.get("folds", {}).get(f"{name}/subject", []) if f.get("n_test")]
    missing = sorted(set(signers) - set(per))
    seeds = sorted({s for f in per.values() for s in f})
    complete = [] if missing else [s for s in seeds if all(s in f for f in per.values())]
    folds = {f: {"accuracy": float(np.mean([v["accuracy"] for v in by.values()])),
                 "sd": float(np.std([v["accuracy"] for v in by.values()])),
                 "macro_f1": float(np.mean([v["macro_f1"] for v in by.values()])),
                 "seeds": sorted(by), "n_test": int(next(iter(by.values()))["n_test"])} for f, by in sorted(per.items())}
    means = [float(np.mean([per[f][s]["accuracy"] for f in per])) for s in complete]
    return {"model": recipe.model, "features": recipe.features, "data": name, "folds": folds,
            "missing_signers": missing, "seeds": complete, "mean": float(np.mean(means)) if means else None,
            "sd": float(np.std(means)) if means else None, "commands": list(results.get("commands", []))}


def _shown(path: Path) -> str:
    """`path` relative to the working folder when it lies below it, else as given."""
    rel = os.path.relpath(path.resolve())
    return path.as_posix() if rel.startswith("..") else Path(rel).as_posix()


def sign_card(bundle: ModelBundle, recipe_path: Path, held: dict[str, Any] | None,
              results_path: Path | None) -> str:
    """The sign artifact's README: data and licence, the recipe, and the person-held-out numbers of its settings."""
    r = bundle.meta["recipe"]
    d = bundle.meta["data"]
    t = bundle.meta["training"]
    shown = _shown(recipe_path)
    if held is None:
        where = f"`{_shown(results_path)}`" if results_path is not None else "(the recipe names no `fold_results`)"
        numbers = (f"**No person-held-out numbers are quoted: the results file {where} was not found or holds no "
                   f"leave-one-signer-out row of `{r['model']}` on `{r['features']}`.** Run the protocol first, "
                   f"then build again:\n\n    python scripts/sign_protocol.py --data <datasets>/{r['data']} "
                   f"--models {r['model']} --features {r['features']} --seeds 0,1,2 --protocols subject "
                   f"--out <the fold_results folder>\n")
    else:
        rows = "\n".join(f"| {f} | {v['n_test']} | {v['accuracy']:.3f}"
                         + (f" ± {v['sd']:.3f}" if len(v["seeds"]) > 1 else "")
                         + f" | {v['macro_f1']:.3f} | {','.join(map(str, v['seeds']))} |"
                         for f, v in held["folds"].items())
        rows += "".join(f"\n| {f} | - | not run | - | - |" for f in held["missing_signers"])
        mean = "not every signer ran" if held["mean"] is None else (
            f"**{held['mean']:.3f}**" + (f" ± {held['sd']:.3f}" if len(held["seeds"]) > 1 else "")
            + (f" (seeds {','.join(map(str, held['seeds']))}; ± is the sd over seeds of the mean over signers)"
               if len(held["seeds"]) > 1 else f" (seed {held['seeds'][0]} only)"))
        cmds = "\n".join(f"    {c}" for c in held["commands"]) or "    (not recorded in the results file)"
        numbers = (f"Leave one signer out, `{held['model']}` on `{held['features']}` with these settings "
                   f"(from `{_shown(results_path) if results_path else '?'}`): each row trains on the other "
                   f"signers and scores the held-out one on the classes the others also sign.\n\n"
                   f"| held-out signer | test clips | accuracy (mean ± sd over seeds) | macro-F1 | seeds |\n"
                   f"|---|---|---|---|---|\n{rows}\n\nMean over signers: {mean}.\n\nProduced by:\n\n{cmds}\n")
    held_note = (f"Signer `{t['held_out']}` was left out; `splits.json` lists their clips as the test part, so "
                 f"`gestura evaluate` scores a person this model never saw.") if t["held_out"] else (
        "This model has seen every signer, so it has no held-out number of its own: `gestura evaluate "
        "--split all` on its own dataset scores clips it trained on. What to expect on a new person is below.")
    people = ", ".join(f"{p} {n}" for p, n in sorted(d["people"].items()))
    return f"""# gestura sign model ({r['data']})

**Training data.** `{r['data']}` ({d['licence']}): {d['clips']} clips ({people}); {t['train_clips']} for
training, {t['val_clips']} in whole validation sessions (early stopping, patience {t['patience']}).
{held_note}

- Recipe: `{shown}` (`gestura.training.signs`); built by `gestura train --recipe {shown} --out DIR`.
- Architecture `{r['model']}` {json.dumps(r['model_params'])}, features `{r['features']}`, AdamW lr {r['lr']:g},
  batch {r['batch_size']}, at most {r['epochs']} epochs, seed {r['seed']} ({t['seconds']} s).
- Classes ({len(bundle.labels)}): {', '.join(bundle.labels)}. One window = one clip of {bundle.window} frames.

**What to expect on a person it never saw.**

{numbers}"""


__all__ = ["SignRecipe", "build_sign_recipe", "held_out_summary", "read_sign_results", "sign_card", "train_signs"]
