"""One small model registry: a name maps to (module class, config dataclass).

`create_model(name, **params)` builds the config dataclass from keyword parameters (unknown ones are a
one-line `ConfigError` listing the valid ones) and the module from the config. `model_config(model)` gives the
parameters back, so an artifact can rebuild the same model from JSON.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import torch.nn as nn

from gestura.errors import ConfigError
from gestura.models.base import GesturaModel

_REGISTRY: dict[str, tuple[type[GesturaModel], type]] = {}
M = TypeVar("M", bound=type[GesturaModel])


def register_model(name: str, config_cls: type) -> Callable[[M], M]:
    """Class decorator: register `cls(config)` under `name` with its config dataclass (cls must be a
    `GesturaModel`, so every registered model keeps the same contract)."""
    if not dataclasses.is_dataclass(config_cls):
        raise TypeError(f"{config_cls!r} is not a dataclass")

    def deco(cls: M) -> M:
        if not (isinstance(cls, type) and issubclass(cls, GesturaModel)):
            raise TypeError(f"{cls!r} must derive from gestura.models.base.GesturaModel to be registered")
        if name in _REGISTRY and _REGISTRY[name][0] is not cls:
            raise ValueError(f"model name {name!r} is already registered")
        _REGISTRY[name] = (cls, config_cls)
        cls.registry_name = name  # type: ignore[attr-defined]
        return cls

    return deco


def list_models() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)


def config_class(name: str) -> type:
    """The config dataclass of a registered model."""
    return _lookup(name)[1]


def create_model(name: str, **params: Any) -> GesturaModel:
    """Build a registered model from keyword parameters of its config dataclass."""
    cls, cfg_cls = _lookup(name)
    fields = {f.name: f for f in dataclasses.fields(cfg_cls)}
    if unknown := sorted(set(params) - set(fields)):
        raise ConfigError(f"model {name!r}: unknown parameter(s) {unknown}; valid: {sorted(fields)}")
    missing = [n for n, f in fields.items() if n not in params and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]  # type: ignore[misc]
    if missing:
        raise ConfigError(f"model {name!r}: missing required parameter(s) {missing}")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    try:
        cfg = cfg_cls(**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"model {name!r}: bad parameters ({err})") from None
    return cls(cfg)


def model_config(model: nn.Module) -> dict[str, Any]:
    """`{"name": ..., "params": {...}}` for a registered model instance (JSON-serialisable)."""
    name = getattr(model, "registry_name", None)
    cfg = getattr(model, "cfg", None)
    if name is None or cfg is None:
        raise ConfigError(f"{type(model).__name__} is not a registered gestura model")
    return {"name": name, "params": dataclasses.asdict(cfg)}


def _lookup(name: str) -> tuple[type[GesturaModel], type]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; choose from: {', '.join(list_models())}") from None
