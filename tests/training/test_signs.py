"""Sign recipes: `kind: signs` builds a sign artifact whose card quotes the person-held-out numbers it was measured
with, `gestura evaluate` loads it, and a missing results file is said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.errors import ConfigError, InputError
from gestura.training.recipe import build_recipe, read_recipe

ROOT = Path(__file__).resolve().parents[2]
TINY = ("kind: signs\ndatasets: ../shared\ndata: signs\nmodel: transformer\n"
        "model_params: {d_model: 8, heads: 2, layers: 1, dropout: 0.0}\nepochs: 2\npatience: 1\nval_fraction: 0.3\n"
        "fold_results: ../runs/protocol/results.json\n")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A folder like the repository: shared/signs (3 generated signers, 3 classes), recipes/tiny.yaml, runs/."""
    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset

    write_seed003(tmp_path / "shared" / "signs", make_dataset(3, 4, n_classes=3, seed=0, n_frames=20).sequences)
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "tiny.yaml").write_text(TINY)
    return tmp_path


def write_results(path: Path, acc: dict[str, list[float]]) -> None:
    """A protocol results file: transformer rows per signer and seed, plus a row of another model to ignore."""
    runs = [{"data": "signs", "protocol": "subject", "features": "sign-multimodal-v1", "model": "transformer",
             "fold": f, "seed": s, "n_test": 12, "n_classes": 3, "accuracy": a, "macro_f1": a - 0.01}
            for f, accs in acc.items() for s, a in enumerate(accs)]
    runs.append({**runs[0], "model": "bilstm", "accuracy": 0.123})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs": runs, "commands": ["python scripts/sign_protocol.py --models transformer"],
                                "folds": {"signs/subject": [{"name": f, "n_test": 12} for f in acc]}}))


def test_the_shipped_sign_recipe_is_valid_and_other_kinds_are_refused(tmp_path: Path) -> None:
    recipe = read_recipe(ROOT / "recipes" / "sign-words.yaml")
    assert recipe.kind == "signs" and recipe.model == "transformer" and recipe.features == "sign-multimodal-v1"
    assert read_recipe(ROOT / "recipes" / "presentation-default.yaml").kind == "presentation"
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: poems\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: kind: 'poems'"):
        read_recipe(bad)
    bad.write_text("kind: signs\nepochs: 0\n")
    with pytest.raises(ConfigError, match="bad.yaml: epochs"):
        read_recipe(bad)
    with pytest.raises(ConfigError, match="no setting 'epoch'"):
        read_recipe(ROOT / "recipes" / "sign-words.yaml", ["epoch=3"])


def test_gestura_train_recipe_builds_a_sign_artifact_whose_card_quotes_the_held_out_numbers(project: Path) -> None:
    import torch

    from gestura.artifact import load_artifact
    from gestura.evaluation.evaluate import evaluate_artifact

    torch.set_num_threads(1)
    acc = {"s00": [0.9, 0.8], "s01": [1.0, 0.9], "s02": [0.7, 0.95]}
    write_results(project / "runs" / "protocol" / "results.json", acc)
    out = project / "model"
    res = CliRunner().invoke(app, ["train", "--recipe", str(project / "recipes" / "tiny.yaml"), "--out", str(out),
                                   "--set", "epochs=1"])
    assert res.exit_code == 0, res.output
    bundle = load_artifact(out)
    assert bundle.labels == sorted(bundle.labels) and len(bundle.labels) == 3 and bundle.window == 20
    assert bundle.meta["recipe"]["epochs"] == 1 and bundle.meta["training"]["val_clips"] > 0
    card = (out / "README.md").read_text()
    for f, accs in acc.items():  # per signer: mean ± sd over the two seeds
        assert f"| {f} | 12 | {np.mean(accs):.3f} ± {np.std(accs):.3f} |" in card
    means = [np.mean([accs[s] for accs in acc.values()]) for s in range(2)]
    assert f"**{np.mean(means):.3f}** ± {np.std(means):.3f}" in card
    assert "python scripts/sign_protocol.py --models transformer" in card and "0.123" not in card
    rep = evaluate_artifact(out, project / "shared" / "signs", split="all")
    assert rep.n == 36 and 0.0 <= rep.accuracy <= 1.0
    assert not (out / "splits.json").exists()  # it saw every signer: no test part to score by default
    with pytest.raises(InputError, match="no splits.json beside the model"):
        evaluate_artifact(out, project / "shared" / "signs")


def test_a_held_out_signer_is_the_test_part_and_a_missing_results_file_is_said(project: Path) -> None:
    import torch

    from gestura.data.splits import Split
    from gestura.evaluation.evaluate import evaluate_artifact

    torch.set_num_threads(1)
    out = project / "model"
    build_recipe(project / "recipes" / "tiny.yaml", out, overrides=["hold_out=s01", "epochs=1"])
    split = Split.load(out / "splits.json")
    assert split.test and all(i.startswith("s01_") for i in split.test)
    assert not any(i.startswith("s01_") for i in split.train + split.val)
    rep = evaluate_artifact(out, project / "shared" / "signs")  # the default --split test: the held-out signer
    assert rep.n == len(split.test)
    card = (out / "README.md").read_text()
    assert "No person-held-out numbers are quoted" in card and "results.json" in card
    assert "Signer `s01` was left out" in card
    with pytest.raises(ConfigError, match="hold_out: no signer 'nobody'"):
        build_recipe(project / "recipes" / "tiny.yaml", project / "m2", overrides=["hold_out=nobody"])
