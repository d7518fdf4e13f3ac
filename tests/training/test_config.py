"""Run config: defaults, YAML + overrides, one-line errors for typos and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from gestura.errors import ConfigError
from gestura.training.config import config_from_cli, load_config, save_config


def test_yaml_overrides_and_roundtrip(tmp_path: Path) -> None:
    p = tmp_path / "run.yaml"
    p.write_text("model:\n  name: bilstm\n  params: {hidden_dim: 32}\noptim:\n  lr: 0.01\nfeatures:\n  schema: holistic-raw-v1\n")
    cfg = load_config(p, ["optim.lr=0.002", "schedule.epochs=3", "model.params.dropout=0.1"])
    assert cfg.model.name == "bilstm" and cfg.model.params == {"hidden_dim": 32, "dropout": 0.1}
    assert cfg.optim.lr == 0.002 and cfg.schedule.epochs == 3 and cfg.features.schema_id == "holistic-raw-v1"
    save_config(cfg, tmp_path / "resolved.yaml")
    assert load_config(tmp_path / "resolved.yaml") == cfg


@pytest.mark.parametrize("text, needle", [
    ("optim:\n  lrr: 0.1\n", "optim.lrr: unknown setting"),
    ("schedule:\n  epochs: 0\n", "schedule.epochs"),
    ("- a\n- b\n", "must be a mapping"),
    ("a: [\n", "not valid YAML"),
])
def test_bad_config_file_is_one_line(tmp_path: Path, text: str, needle: str) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    assert needle in str(err.value) and "\n" not in str(err.value) and str(p) in str(err.value)


def test_bad_overrides() -> None:
    with pytest.raises(ConfigError, match="unknown setting 'optim.lrr'"):
        load_config(None, ["optim.lrr=1"])
    with pytest.raises(ConfigError, match="expected key=value"):
        load_config(None, ["optim.lr"])
    with pytest.raises(ConfigError, match="optim.lr"):
        load_config(None, ["optim.lr=-1"])
    with pytest.raises(ConfigError, match="config file not found"):
        load_config("/nonexistent/run.yaml")


def test_cli_options_layer_between_file_and_set(tmp_path: Path) -> None:
    p = tmp_path / "run.yaml"
    p.write_text("schedule:\n  epochs: 7\nseed: 3\n")
    cfg = config_from_cli(p, ["seed=5"], **{"schedule.epochs": 2, "model.name": "transformer", "seed": 4,
                                            "data.path": tmp_path, "out_dir": None})
    assert cfg.schedule.epochs == 2 and cfg.seed == 5 and cfg.model.name == "transformer"
    assert cfg.data.path == str(tmp_path) and cfg.out_dir is None


@pytest.mark.parametrize("item, needle", [
    ("split.window=0", "split.window: Input should be greater than or equal to 1"),
    ("split.window=1000000000000", "split.window: Input should be less than or equal to 4096"),
    ("split.stride=-3", "split.stride"),
    ("optim.batch_size=10000000", "optim.batch_size: Input should be less than or equal to 65536"),
    ("split.test_fraction=nan", "split.test_fraction"),
    ("split.val_fraction=-1", "split.val_fraction"),
])
def test_sizes_in_run_configs_are_bounded(item: str, needle: str) -> None:
    """Issue 19 item 1: sizes that reach an allocation are bounded where they enter (the run config)."""
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")):
        load_config(None, [item])
