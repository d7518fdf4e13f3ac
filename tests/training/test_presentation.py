"""The presentation recipe as data: validated YAML, windows from every source it names, decisions in the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from gestura.errors import ConfigError
from gestura.training.presentation import PresentationRecipe, recipe_windows, train_recipe

ROOT = Path(__file__).resolve().parents[2]


def test_the_default_recipe_file_is_valid() -> None:
    recipe = PresentationRecipe.from_yaml(ROOT / "recipes" / "presentation-default.yaml")
    assert recipe.align == "motion" and recipe.decision_config().min_motion > 0
    assert recipe.decision_config().return_block_s > 0


def test_a_typo_or_a_bad_value_is_one_line(tmp_path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("epoch: 3\n")
    with pytest.raises(ConfigError, match="epoch"):
        PresentationRecipe.from_yaml(bad)
    bad.write_text("decision: {min_motion: -1}\n")
    with pytest.raises(ConfigError, match="min_motion"):
        PresentationRecipe.from_yaml(bad)


def test_windows_and_a_tiny_training_run_on_generated_sessions() -> None:
    from gestura.data.synthetic import make_stream_dataset

    sessions = make_stream_dataset(n_subjects=1, n_sessions=1, reps=2, seed=0).sequences
    recipe = PresentationRecipe(epochs=1, generated_people=1, signing_windows=0, stride_s=0.2,
                                model_params={"units": [8], "dense": [8]},
                                generated_classes=["swiping_left", "swiping_right", "fist"],
                                decision={"min_motion": 0.5, "return_block_s": 3.0})
    clips, counts = recipe_windows(recipe, sessions)
    assert counts["real"] > 0 and counts["generated"] > 0 and counts["signing"] == 0
    assert len(clips) == sum(counts.values())
    bundle = train_recipe(recipe, sessions)
    assert bundle.meta["decision"]["return_block_s"] == 3.0 and bundle.pipeline.canonical_hand
    assert "unknown" in bundle.labels and bundle.meta["recipe"]["align"] == "motion"
    with pytest.raises(ConfigError, match="signing"):
        recipe_windows(recipe.model_copy(update={"signing_windows": 5}), sessions)
