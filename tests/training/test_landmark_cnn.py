"""The landmark trainer (`gestura.training.landmark_cnn`) keeps validation (chooses the epoch) and held-out test
groups (choose nothing) apart."""

import numpy as np
import pytest

from gestura.errors import ConfigError


def _fake_teacher(root, groups=("a", "b", "c"), n=6, size=64):
    from gestura.io import write_npz, write_text

    rng = np.random.default_rng(0)
    (root / "crops").mkdir(parents=True)
    lines = ["source_id,group,path,n_hands,n_background"]
    for g in groups:
        lms = rng.uniform(0.2, 0.8, (n, 21, 3)).astype(np.float32)
        bg = np.zeros(n, bool)
        bg[-1] = True
        write_npz(root / "crops" / f"{g}.npz", {
            "crops": rng.integers(0, 255, (n, size, size, 3), dtype=np.uint8), "landmarks": lms,
            "hand_left": np.zeros(n, bool), "score": np.ones(n, np.float32), "frame": np.arange(n, dtype=np.int32),
            "box": np.ones((n, 3), np.float32), "in_frame": ~bg, "hand_px": np.full(n, 50.0, np.float32),
            "background": bg, "ok": ~bg})
        lines.append(f"{g},{g},{g}.mp4,{n - 1},1")
    write_text(root / "manifest.csv", "\n".join(lines) + "\n")
    return root


def test_val_and_held_out_groups_are_separate(tmp_path):
    from gestura.training.landmark_cnn import train_landmark_model

    data = _fake_teacher(tmp_path / "data")
    with pytest.raises(ConfigError, match="both validation and held-out"):
        train_landmark_model(data, tmp_path / "m0", held_out=["b"], val=["b"], epochs=1, progress=False)
    s = train_landmark_model(data, tmp_path / "m", arch="mobilenetv3_small_050_hand", width=0.25, input_size=64,
                             held_out=["c"], val=["b"], epochs=2, batch_size=4, threads=1, progress=False)
    assert s["train_groups"] == ["a"] and s["val"] == ["b"] and s["held_out"] == ["c"]
    assert s["n_train_crops"] == 6 and 1 <= s["best_epoch"] <= 2
    assert s["val_report"]["n"] == 5 and s["held_out_report"]["n"] == 5
    assert all("val_err_box" in h for h in s["history"])
    with pytest.raises(ConfigError, match="not in the dataset"):
        train_landmark_model(data, tmp_path / "m1", val=["zz"], epochs=1, progress=False)


def test_cli_trains_with_val_and_held_out_then_evaluates(tmp_path):
    import json

    from typer.testing import CliRunner

    from gestura.cli import app

    data = _fake_teacher(tmp_path / "data")
    runner = CliRunner()
    res = runner.invoke(app, ["landmarks", "train", str(data), "--out", str(tmp_path / "m"), "--val", "b",
                              "--held-out", "c", "--arch", "mobilenetv3_small_050_hand", "--width", "0.25",
                              "--input-size", "64", "--epochs", "2", "--patience", "1", "--batch-size", "4",
                              "--threads", "1"])
    assert res.exit_code == 0, res.output
    assert "validation error" in res.output and "held-out error" in res.output
    res = runner.invoke(app, ["landmarks", "evaluate", str(tmp_path / "m"), str(data), "--report",
                              str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "r.json").read_text())["groups"] == ["c"]  # the model's held-out test group
    res = runner.invoke(app, ["landmarks", "train", str(data), "--out", str(tmp_path / "m2"), "--val", "zz"])
    assert res.exit_code == 2 and "zz" in res.output and "Traceback" not in res.output
