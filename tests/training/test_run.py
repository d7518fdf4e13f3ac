"""End to end: train -> artifact -> evaluate -> reload, on generated data and on a small real subset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gestura.artifact import ModelBundle
from gestura.cli import app
from gestura.errors import ConfigError, InputError
from gestura.evaluation.evaluate import evaluate_artifact
from gestura.training.config import load_config
from gestura.training.run import train_run


def test_run_folder_and_reload(tiny_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    for name in ("config.yaml", "splits.json", "metrics.csv", "metrics.json", "plots/confusion.png",
                 "plots/curves.png", "checkpoints/best.pt", "checkpoints/last.pt", "model/model.json",
                 "model/model.safetensors", "model/README.md"):
        assert (tiny_run / name).is_file(), name
    m = json.loads((tiny_run / "metrics.json").read_text())
    assert m["split"]["group_by"] == "subject" and len(m["history"]["rows"]) == 4
    test_subjects = set(json.loads((tiny_run / "splits.json").read_text())["groups"]["test"])
    assert set(m["test"]["per_subject"]) == test_subjects
    rep = evaluate_artifact(tiny_run / "model", tiny_data, split="test", out=tmp_path / "ev")
    assert rep.accuracy == pytest.approx(m["test"]["accuracy"]) and rep.n == m["test"]["n"]
    saved = json.loads((tmp_path / "ev" / "report.json").read_text())
    for key in ("accuracy", "macro_f1", "per_class_recall", "confusion", "labels", "n", "n_skipped", "per_subject"):
        assert key in saved
    assert (tmp_path / "ev" / "confusion.png").stat().st_size > 1000
    b = ModelBundle.load(tiny_run / "model")
    assert b.labels == ["fist", "swiping_left", "swiping_right"] and b.meta["test"]["n"] == rep.n


def test_label_map_and_only_mapped(tiny_run: Path, tiny_data: Path, tmp_path: Path) -> None:
    (tmp_path / "map.yaml").write_text("fist: swiping_left\n")
    rep = evaluate_artifact(tiny_run / "model", tiny_data, split="all", label_map=tmp_path / "map.yaml",
                            only_mapped=True)
    assert rep.n == 48 and rep.per_class_recall.keys() == {"swiping_left", "swiping_right"}
    assert sum(rep.confusion[0]) == 0 and all(row[0] == 0 for row in rep.confusion)  # `fist` never chosen
    (tmp_path / "bad.yaml").write_text("fist: nonesuch\n")
    with pytest.raises(InputError, match="model has no label"):
        evaluate_artifact(tiny_run / "model", tiny_data, split="all", label_map=tmp_path / "bad.yaml")


def test_resume_continues_a_run(tiny_data: Path, tmp_path: Path, tiny_sets: list[str]) -> None:
    base = [f"data.path={tiny_data}", *tiny_sets, f"out_dir={tmp_path / 'r'}", "split.group_by=subject"]
    train_run(load_config(None, [*base, "schedule.epochs=2"]))
    run = train_run(load_config(None, [*base, "schedule.epochs=3", "resume=true"]))
    rows = json.loads((run / "metrics.json").read_text())["history"]["rows"]
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    with pytest.raises(InputError, match="nothing to resume"):
        train_run(load_config(None, [*base, f"out_dir={tmp_path / 'fresh'}", "resume=true"]))


def test_baseline_and_transfer(tiny_run: Path, tmp_path: Path, tiny_sets: list[str], make_tiny) -> None:
    data2 = make_tiny(tmp_path / "d2", n_classes=4, seed=5)
    run = train_run(load_config(None, [f"data.path={data2}", "model.name=logreg", f"out_dir={tmp_path / 'b'}",
                                       "split.group_by=subject"]))
    assert 0 <= json.loads((run / "metrics.json").read_text())["test"]["accuracy"] <= 1
    run = train_run(load_config(None, [
        f"data.path={data2}", *tiny_sets, f"out_dir={tmp_path / 't'}", "split.group_by=subject",
        f"transfer.init_from={tiny_run / 'model'}", "transfer.stage_a_epochs=1", "schedule.epochs=1",
        "transfer.l2sp=0.01"]))
    m = json.loads((run / "metrics.json").read_text())
    assert m["transfer"]["shared_labels"] == 3 and [r["stage"] for r in m["history"]["rows"]] == ["A", "B"]
    old, new = ModelBundle.load(tiny_run / "model"), ModelBundle.load(run / "model")
    assert len(new.labels) == 4 and new.architecture["params"]["units"] == old.architecture["params"]["units"]


@pytest.mark.parametrize("case, error, needle", [
    ("empty", InputError, "no such file"),
    ("single", InputError, "only one class"),
    ("window", InputError, "longer than every sequence"),
    ("typo", ConfigError, "unknown setting"),
    ("features", ConfigError, "unknown feature schema"),
])
def test_bad_input_fails_before_training(tiny_data: Path, tmp_path: Path, case: str, error: type,
                                         needle: str, tiny_sets: list[str], make_tiny) -> None:
    sets = [f"data.path={tiny_data}", *tiny_sets, f"out_dir={tmp_path / 'r'}"]
    if case == "empty":
        sets[0] = f"data.path={tmp_path / 'missing'}"
    elif case == "single":
        sets[0] = f"data.path={make_tiny(tmp_path / 'one', n_classes=1, n_per_class=2)}"
    elif case == "window":
        sets.append("split.window=500")
    elif case == "typo":
        sets.append("schedule.epoch=3")
    else:
        sets.append("features.schema=nope-v9")
    with pytest.raises(error, match=needle):
        train_run(load_config(None, sets))
    assert not (tmp_path / "r" / "checkpoints").exists()


def test_cli_train_split_evaluate_and_errors(tiny_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["split", "--data", str(tiny_data), "--out", str(tmp_path / "s.json"), "--group-by",
                            "subject", "--window", "24", "--stride", "12"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["train", "--data", str(tiny_data), "--model", "logreg", "--out", str(tmp_path / "run"),
                            "--splits", str(tmp_path / "s.json")])
    assert r.exit_code == 0 and "test accuracy" in r.output, r.output
    assert json.loads((tmp_path / "run" / "splits.json").read_text())["test"] == \
        json.loads((tmp_path / "s.json").read_text())["test"]
    r = runner.invoke(app, ["train", "--data", str(tiny_data), "--set", "optim.lrr=1"])
    assert r.exit_code == 2 and "unknown setting" in r.output
    r = runner.invoke(app, ["evaluate", str(tmp_path / "nomodel"), "--data", str(tiny_data), "--out",
                            str(tmp_path / "e")])
    assert r.exit_code == 2 and "file not found" in r.output


def test_tune_two_trials(tiny_data: Path, tmp_path: Path, tiny_sets: list[str]) -> None:
    from gestura.training.tune import tune_run

    cfg = load_config(None, [f"data.path={tiny_data}", *tiny_sets, f"out_dir={tmp_path / 'study'}",
                             "schedule.epochs=1", "tune.trials=2", "split.group_by=subject"])
    best = tune_run(cfg)
    assert best["trials"] == 2 and set(best["params"]) == {"optim.lr", "optim.weight_decay"}
    assert (tmp_path / "study" / "study.db").is_file() and (tmp_path / "study" / "trial-001" / "model").is_dir()


@pytest.mark.real_data
@pytest.mark.slow
def test_real_subset_kazuhito_by_episode(shared_datasets: Path, tmp_path: Path, tiny_sets: list[str]) -> None:
    data = shared_datasets / "trajectories" / "kazuhito"
    run = train_run(load_config(None, [
        f"data.path={data}", "features.schema=fingertip-trajectory-v1", *tiny_sets, "split.group_by=episode",
        "data.max_per_class=60", "schedule.epochs=2", f"out_dir={tmp_path / 'k'}"]))
    m = json.loads((run / "metrics.json").read_text())
    sp = json.loads((run / "splits.json").read_text())
    assert not set(sp["groups"]["train"]) & set(sp["groups"]["test"])
    assert m["split"]["n_train_windows"] == 4 * 60 and m["test"]["n"] > 500
    rep = evaluate_artifact(run / "model", data, split="test")
    assert rep.accuracy == pytest.approx(m["test"]["accuracy"])
    assert np.isfinite(rep.macro_f1)


def test_train_streams_from_a_feature_store(tiny_data: Path, tmp_path: Path, tiny_sets: list[str]) -> None:
    from gestura.data.store import StoreFeatureDataset
    from gestura.training.run import prepare

    res = CliRunner().invoke(app, ["data", "store", str(tiny_data), "--out", str(tmp_path / "st"),
                                   "--features", "feature-schema-v1", "--shard-frames", "200"])
    assert res.exit_code == 0, res.output
    assert "48 sequences" in res.output and len(list((tmp_path / "st").glob("shard-*.npy"))) > 1
    base = [*tiny_sets, "split.group_by=subject", "split.window=16", "split.stride=4", "schedule.epochs=2"]
    mem = prepare(load_config(None, [f"data.path={tiny_data}", *base]))
    st = prepare(load_config(None, [f"data.path={tmp_path / 'st'}", *base]))
    assert isinstance(st.train, StoreFeatureDataset) and st.split.to_dict() == mem.split.to_dict()
    for part in ("train", "val", "test"):
        a, b = getattr(st, part), getattr(mem, part)
        assert len(a) == len(b) > 0
        for x, y in zip(a.arrays(), b.arrays()):
            np.testing.assert_array_equal(x, y)
    run = train_run(load_config(None, [f"data.path={tmp_path / 'st'}", *base, f"out_dir={tmp_path / 'r'}"]))
    m = json.loads((run / "metrics.json").read_text())
    assert m["data"]["format"] == "store" and m["test"]["n"] == len(mem.test) and len(m["history"]["rows"]) == 2
    assert set(m["test"]["per_subject"]) == set(mem.split.groups["test"])
    assert ModelBundle.load(run / "model").pipeline.to_dict() == mem.pipeline.to_dict()
    with pytest.raises(ConfigError, match="holds feature-schema-v1"):
        prepare(load_config(None, [f"data.path={tmp_path / 'st'}", *base, "features.schema=holistic-raw-v1"]))
    with pytest.raises(ConfigError, match="feature store"):
        prepare(load_config(None, [f"data.path={tmp_path / 'st'}", *base, "augment.enabled=true"]))
    bad = CliRunner().invoke(app, ["data", "store", str(tmp_path / "nope"), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "no such file" in bad.output


def _one_signer_class_data(path: Path) -> Path:
    """Three people x three classes on disk, but class 1 signed by s01 only and class 2 by s00 only."""
    from dataclasses import replace

    from gestura.data.formats import write_seed003
    from gestura.data.synthetic import make_dataset

    seqs = make_dataset(3, 4, n_classes=3, seed=2, n_frames=24).sequences
    names = sorted({s.label for s in seqs})
    owner = {names[1]: "s01", names[2]: "s00"}
    keep = [replace(s, session=f"sess{i % 4}") for i, s in enumerate(seqs) if owner.get(s.label, s.subject) == s.subject]
    write_seed003(path, keep)
    return path


def test_default_split_does_not_stop_a_new_user(tmp_path: Path, tiny_sets: list[str],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from gestura.training.run import prepare

    data = _one_signer_class_data(tmp_path / "d")
    prep = prepare(load_config(None, [f"data.path={data}", *tiny_sets]))
    err = capsys.readouterr().err.strip().splitlines()
    assert prep.split.group_by == "session" and len(err) == 1 and "grouping by session instead" in err[0]
    trained = {s.label for s in prep.train.sequences}
    assert trained == set(prep.labels)
    with pytest.raises(InputError, match="--group-by session keeps every class in training"):
        prepare(load_config(None, [f"data.path={data}", *tiny_sets, "split.group_by=subject"]))
