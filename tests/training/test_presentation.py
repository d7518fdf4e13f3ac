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


def test_build_from_recipe_writes_the_artifact_and_its_card(tmp_path) -> None:
    """A recipe file alone builds the model: its datasets folder (relative to the file), every session in it, the
    fold results quoted in the card; a missing sessions folder is one line naming the recipe."""
    import json

    import torch

    from gestura.artifact import ModelBundle
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_stream_dataset
    from gestura.training.presentation import build_from_recipe

    torch.set_num_threads(1)
    write_seed003(tmp_path / "shared" / "streams",
                  list(make_stream_dataset(n_subjects=1, n_sessions=1, reps=2, seed=0).sequences))
    (tmp_path / "runs").mkdir()
    fold = {"hit_rate": 0.5, "confusion_rate": 0.1, "false_per_hour": 3.0, "returns": 0, "mirrored_hit_rate": 0.5,
            "latency_p50_s": 0.4, "latency_p90_s": 0.6, "latency_from_end_p50_s": 0.1, "latency_from_end_p90_s": 0.2}
    (tmp_path / "runs" / "folds.json").write_text(json.dumps(
        {"a -> b": {"settings": {"recipe's decision": fold}, "segment_given": 0.75}}))
    recipe = tmp_path / "recipes" / "tiny.yaml"
    recipe.parent.mkdir()
    recipe.write_text("epochs: 1\ngenerated_people: 0\nsigning_windows: 0\nstride_s: 0.3\n"
                      "model_params: {units: [4], dense: [4]}\ndecision: {min_motion: 0.5}\n"
                      "datasets: ../shared\nsessions: streams\nfold_results: ../runs/folds.json\n")
    bundle = build_from_recipe(recipe, tmp_path / "model")
    again = ModelBundle.load(tmp_path / "model")
    assert again.labels == bundle.labels and "unknown" in again.labels
    assert again.meta["windows"]["real"] > 0 and again.meta["decision"]["min_motion"] == 0.5
    assert again.meta["folds"]["a -> b"]["segment_given"] == 0.75
    card = (tmp_path / "model" / "README.md").read_text()
    assert "| a -> b | 0.50 |" in card and "gestura train --recipe" in card
    recipe.write_text(recipe.read_text().replace("sessions: streams", "sessions: nowhere"))
    with pytest.raises(ConfigError, match="tiny.yaml: sessions folder"):
        build_from_recipe(recipe, tmp_path / "model2")


SHARED = ROOT.parent / "shared" / "datasets"


@pytest.mark.skipif(not (SHARED / "presentation-clips").is_dir(), reason="shared presentation-clips not present")
def test_clips_join_the_windows_and_a_held_out_person_drops_theirs() -> None:
    """Takes of presentation-clips become one window each (gestures where the hand moves most); a fold that
    holds a person out drops that person's takes, whatever their name in the clips."""
    import numpy as np

    from gestura.features.motion import hand_motion

    recipe = PresentationRecipe(generated_people=0, signing_windows=0, clips_people={"anja": "anja"})
    clips, counts = recipe_windows(recipe, [], SHARED)
    assert counts["clips"] == len(clips) == 99  # every take of anja maps to a stream class
    assert {c.label for c in clips} == {"swiping_left", "swiping_right", "rotate_left", "unknown"}
    assert {c.n_frames for c in clips} == {recipe.window_config().window_frames}
    moving = [float(np.nanmax(hand_motion(c)[:, 5])) for c in clips if c.label == "swiping_left"]
    assert np.median(moving) > 1.0  # palm lengths per second: the swipe is inside its window
    _, counts = recipe_windows(recipe, [], SHARED, exclude_people=["anja"])
    assert "clips" not in counts
    with pytest.raises(ConfigError, match="no take by"):
        recipe_windows(recipe.model_copy(update={"clips_people": {"nobody": "x"}}), [], SHARED)


def test_a_recipe_names_its_feature_schema(tmp_path) -> None:
    good = tmp_path / "r.yaml"
    good.write_text("feature_schema: feature-schema-v2\nfeatures: {motion: tip}\n")
    assert PresentationRecipe.from_yaml(good).pipeline().params["motion"] == "tip"
    good.write_text("feature_schema: feature-schema-v9\n")
    with pytest.raises(ConfigError, match="r.yaml.*feature-schema-v9"):
        PresentationRecipe.from_yaml(good)
