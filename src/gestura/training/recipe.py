"""One recipe loader for `gestura train --recipe FILE`: the file's `kind:` says what it builds.

`kind: presentation` (the default, so older recipes keep working) is the presentation controller
(`gestura.training.presentation`); `kind: signs` is a sign recognizer on a clip-labelled dataset
(`gestura.training.signs`). `--set key=value` overrides a recipe setting before validation, so a quick build
(`--set epochs=1`) goes through the same checks as the file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from gestura.artifact import ModelBundle
from gestura.errors import ConfigError
from gestura.io import read_yaml_mapping
from gestura.training.config import apply_override
from gestura.training.presentation import PresentationRecipe, build_from_recipe
from gestura.training.signs import SignRecipe, build_sign_recipe

KINDS = ("presentation", "signs")


def read_recipe(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> PresentationRecipe | SignRecipe:
    """The validated recipe in `path` with `overrides` (`key=value`) applied; an unknown `kind:` or a bad setting
    is one `ConfigError` line naming the file."""
    raw: dict[str, Any] = read_yaml_mapping(path, "recipe", ConfigError)
    kind = raw.get("kind", "presentation")
    if kind not in KINDS:
        raise ConfigError(f"{path}: kind: {kind!r} is not a recipe kind; choose from {list(KINDS)}")
    cls: type[PresentationRecipe] | type[SignRecipe] = SignRecipe if kind == "signs" else PresentationRecipe
    if overrides:
        fields = set(cls.model_fields)
        for item in overrides:
            key = item.partition("=")[0].strip().split(".")[0]
            if key not in fields:
                raise ConfigError(f"--set {item!r}: {path} has no setting {key!r} (a {kind} recipe)")
            raw.setdefault(key, cls.model_fields[key].get_default(call_default_factory=True))
            apply_override(raw, item)
    return cls.from_mapping(raw, path)


def build_recipe(path: str | os.PathLike[str], out: str | os.PathLike[str], progress: bool = False,
                 datasets: str | os.PathLike[str] | None = None, overrides: Sequence[str] = ()) -> ModelBundle:
    """Build the model the recipe file `path` describes into `out` (artifact + model card); `datasets` replaces
    the recipe's shared datasets folder."""
    recipe = read_recipe(path, overrides)
    if isinstance(recipe, SignRecipe):
        return build_sign_recipe(recipe, path, out, progress=progress, datasets=datasets)
    return build_from_recipe(path, out, progress=progress, datasets=datasets, recipe=recipe)


__all__ = ["KINDS", "build_recipe", "read_recipe"]
