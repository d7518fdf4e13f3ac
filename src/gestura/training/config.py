"""The run config: one validated pydantic model (`TrainConfig`), loaded from YAML with `--set a.b=c` overrides.

Unknown keys are an error everywhere (`extra="forbid"`), so a typo never silently falls back to a default.
`load_config(path, overrides)` applies each override only to a key that exists, then re-validates the whole
config; any problem is one `ConfigError` line naming the file or setting.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gestura.errors import ConfigError, config_error
from gestura.limits import MAX_BATCH, MAX_WINDOW
from gestura.io import read_yaml_mapping


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class DataConfig(_Strict):
    """Where the landmarks come from and how many samples a class may contribute."""

    path: str = ""
    format: str | None = None
    max_per_class: int | None = Field(default=None, ge=1)
    min_per_class: int = Field(default=1, ge=1)


class FeaturesConfig(_Strict):
    """The feature schema id and its parameters (see `gestura.features.FeaturePipeline`)."""

    schema_id: str = Field(default="feature-schema-v1", alias="schema")
    params: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


class ModelSpec(_Strict):
    """A registered model name and the parameters of its config dataclass (input_dim/num_classes are filled in)."""

    name: str = "lstm"
    params: dict[str, Any] = Field(default_factory=dict)


class OptimConfig(_Strict):
    """AdamW, label-smoothed cross-entropy, gradient clipping."""

    lr: float = Field(default=1e-3, gt=0)
    weight_decay: float = Field(default=1e-2, ge=0)
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH)
    label_smoothing: float = Field(default=0.1, ge=0, lt=1)
    class_weights: bool = False
    grad_clip: float | None = Field(default=1.0, gt=0)
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    accum_steps: int = Field(default=1, ge=1, le=1024)


class ScheduleConfig(_Strict):
    """Epochs, ReduceLROnPlateau and early stopping, all watching `monitor` on the validation split."""

    epochs: int = Field(default=40, ge=1, le=100_000)
    monitor: Literal["val_loss", "val_accuracy", "val_macro_f1"] = "val_loss"
    patience: int = Field(default=8, ge=1)
    lr_factor: float = Field(default=0.5, gt=0, lt=1)
    lr_patience: int = Field(default=3, ge=0)
    min_lr: float = Field(default=1e-5, ge=0)


class AugmentConfig(_Strict):
    """On-the-fly augmentation of training sequences (parameters of `gestura.features.augment`)."""

    enabled: bool = False
    params: dict[str, Any] = Field(default_factory=dict)


class SplitConfig(_Strict):
    """Group-wise split: which grouping key, fractions, explicit held-out groups, windows, or a splits.json."""

    group_by: str | None = None
    test_fraction: float = Field(default=0.2, gt=0, lt=1)
    val_fraction: float = Field(default=0.15, gt=0, lt=1)
    test_groups: list[str] | None = None
    test_by: str | None = None
    val_groups: list[str] | None = None
    window: int | None = Field(default=None, ge=1, le=MAX_WINDOW)
    stride: int | None = Field(default=None, ge=1, le=MAX_WINDOW)
    label_rule: Literal["majority", "centre"] = "majority"
    splits_file: str | None = None


class TransferConfig(_Strict):
    """`--init-from ARTIFACT`: stage A head-only epochs, stage B full fine-tune, replay and forgetting penalty."""

    init_from: str | None = None
    stage_a_epochs: int = Field(default=5, ge=0)
    backbone_lr_mult: float = Field(default=0.1, gt=0)
    replay_data: str | None = None
    replay_per_class: int = Field(default=0, ge=0)
    l2sp: float = Field(default=0.0, ge=0)


class SearchParam(_Strict):
    """One dimension of the Optuna search space; `key` is a dotted config path (e.g. `optim.lr`)."""

    type: Literal["float", "int", "categorical"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: list[Any] | None = None


class TuneConfig(_Strict):
    """Optuna study: trials, search space, pruning, objective."""

    trials: int = Field(default=20, ge=1)
    space: dict[str, SearchParam] = Field(default_factory=lambda: {
        "optim.lr": SearchParam(type="float", low=3e-4, high=3e-3, log=True),
        "optim.weight_decay": SearchParam(type="float", low=1e-4, high=1e-1, log=True),
    })
    objective: Literal["val_accuracy", "val_macro_f1"] = "val_macro_f1"
    storage: str | None = None
    study: str | None = None
    pruning: bool = True


class TrainConfig(_Strict):
    """Everything one training run needs; written resolved to `config.yaml` in the run folder."""

    name: str = "run"
    data: DataConfig = Field(default_factory=DataConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    model: ModelSpec = Field(default_factory=ModelSpec)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    augment: AugmentConfig = Field(default_factory=AugmentConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    transfer: TransferConfig = Field(default_factory=TransferConfig)
    tune: TuneConfig = Field(default_factory=TuneConfig)
    seed: int = 0
    threads: int = Field(default=2, ge=1, le=1024)
    out_dir: str | None = None
    resume: bool = False
    overwrite: bool = False
    mlflow: bool = False
    progress: bool = True
    distributed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/YAML-ready dict (aliases used, so it loads back)."""
        return self.model_dump(mode="json", by_alias=True)


def load_config(path: str | os.PathLike[str] | None = None, overrides: list[str] | None = None,
                base: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML run config (or start from `base`/defaults), apply `a.b=c` overrides, validate."""
    raw: dict[str, Any] = copy.deepcopy(base) if base else {}
    where = "run config"
    if path is not None:
        where = str(path)
        raw = _merge(raw, read_yaml_mapping(path, "config file", ConfigError))
    cfg = _validate(raw, where)
    if overrides:
        data = cfg.to_dict()
        for item in overrides:
            apply_override(data, item)
        cfg = _validate(data, "--set")
    return cfg


def apply_override(data: dict[str, Any], item: str) -> None:
    """Set `a.b.c=value` in a nested dict in place; the key path must exist (free-form `params` dicts excepted)."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected key=value")
    key, _, text = item.partition("=")
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set {item!r}: empty key")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"--set {key}: unknown setting {'.'.join(parts[: i + 1])!r}")
        if node[part] is None:
            node[part] = {}
        node = node[part]
    free_form = len(parts) >= 2 and parts[-2] in ("params", "space")
    if not isinstance(node, dict) or (parts[-1] not in node and not free_form):
        raise ConfigError(f"--set {key}: unknown setting {key!r}")
    try:
        node[parts[-1]] = yaml.safe_load(text)
    except yaml.YAMLError:
        node[parts[-1]] = text


def save_config(cfg: TrainConfig, path: str | os.PathLike[str]) -> None:
    """Write the resolved config as YAML, atomically."""
    from gestura.io import write_text

    write_text(path, yaml.safe_dump(cfg.to_dict(), sort_keys=False))


def _validate(raw: dict[str, Any], where: str) -> TrainConfig:
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as err:
        raise config_error(err, where) from None


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def config_from_cli(config: str | os.PathLike[str] | None, sets: list[str] | None, **typed: Any) -> TrainConfig:
    """Config file, then the typed CLI options that were given (dotted keys), then `--set` items; validated."""
    cfg = load_config(config)
    data = cfg.to_dict()
    for key, value in typed.items():
        if value is None:
            continue
        node = data
        parts = key.split(".")
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = str(value) if isinstance(value, Path) else value
    for item in sets or []:
        apply_override(data, item)
    return _validate(data, str(config) if config else "command line")
