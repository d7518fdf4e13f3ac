"""The model artifact: `model.safetensors` + `model.json` (+ a `README.md` model card), loaded without pickle.

`model.json` holds everything needed to rebuild the model and its input: the registered architecture name and
parameters, labels, the feature pipeline (schema id + params), window/stride, per-class thresholds, training
metrics, the gestura version and the SHA-256 of the weights file, so a truncated or tampered file is caught
before any tensor is used. The runtime and the server load artifacts only through `ModelBundle.load`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import ConfigError, GesturaError, InputError, ModelFileError, SchemaError
from gestura.io import atomic_write, read_json, write_json, write_text

FORMAT = "gestura-model"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
META = "model.json"
CARD = "README.md"


@dataclass
class ModelBundle:
    """A trained model with its feature recipe, labels and decision defaults.

    `model`: a registered `torch.nn.Module`; `pipeline`: a `gestura.features.FeaturePipeline`;
    `window`/`stride`: frames per model input and hop between windows; `thresholds`: default per-class score
    thresholds; `meta`: free-form facts (training metrics, data, splits) stored in `model.json`.
    """

    model: Any
    pipeline: Any
    labels: list[str]
    window: int
    stride: int = 1
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    resample_fps: float | None = None

    def __post_init__(self) -> None:
        self.labels = [str(x) for x in self.labels]
        if len(set(self.labels)) != len(self.labels):
            raise ConfigError(f"duplicate labels in {self.labels}")
        if not self.thresholds:
            self.thresholds = {lb: 0.5 for lb in self.labels}

    # ------------------------------------------------------------------ inference
    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities: features `(B, T, F)` float32, mask `(B, T)` bool (True = real frame) -> `(B, K)`."""
        import torch

        xt, mt = self._tensors(x, mask)
        self.model.eval()
        with torch.inference_mode():
            return torch.softmax(self.model(xt, mt), dim=-1).cpu().numpy().astype(np.float32)

    def embed(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Pooled embeddings: `(B, T, F)` -> `(B, D)`."""
        import torch

        xt, mt = self._tensors(x, mask)
        self.model.eval()
        with torch.inference_mode():
            return self.model.embed(xt, mt).cpu().numpy().astype(np.float32)

    def _tensors(self, x: np.ndarray, mask: np.ndarray | None) -> tuple[Any, Any]:
        import torch

        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[-1] != self.input_dim:
            raise SchemaError(f"model expects (B, T, {self.input_dim}) features "
                              f"({self.pipeline.schema}), got shape {x.shape}")
        mt = None
        if mask is not None:
            m = np.asarray(mask, dtype=bool)
            if m.ndim == 1:
                m = m[None]
            if m.shape != x.shape[:2]:
                raise SchemaError(f"mask shape {m.shape} does not match features {x.shape[:2]}")
            mt = torch.from_numpy(m)
        return torch.from_numpy(x), mt

    @property
    def input_dim(self) -> int:
        return int(self.pipeline.dim)

    @property
    def architecture(self) -> dict[str, Any]:
        from gestura.models import model_config

        return model_config(self.model)

    # ------------------------------------------------------------------ persistence
    def to_json(self, weights_sha256: str = "") -> dict[str, Any]:
        """The `model.json` document."""
        from gestura import __version__

        pipe = self.pipeline.to_dict()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "gestura_version": __version__,
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "architecture": self.architecture,
            "labels": self.labels,
            "features": {"schema": pipe.get("schema", getattr(self.pipeline, "schema", None)),
                         "dim": self.input_dim, "pipeline": pipe},
            "window": int(self.window),
            "stride": int(self.stride),
            "resample_fps": self.resample_fps,
            "thresholds": {k: float(v) for k, v in self.thresholds.items()},
            "weights": {"file": WEIGHTS, "sha256": weights_sha256},
            "meta": self.meta,
        }

    def save(self, directory: str | os.PathLike[str], card: bool = True) -> Path:
        """Write `model.safetensors`, `model.json` and the model card atomically into `directory`."""
        from safetensors.torch import save as st_save

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        blob = st_save(state, metadata={"format": FORMAT})
        with atomic_write(d / WEIGHTS, "wb") as f:
            f.write(blob)
        sha = hashlib.sha256(blob).hexdigest()
        _drop_stale_onnx(d, sha)
        doc = self.to_json(sha)
        write_json(d / META, doc)
        if card:
            from gestura.model_card import render_model_card

            write_text(d / CARD, render_model_card(doc))
        return d

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> ModelBundle:
        """Rebuild a bundle from a folder (or its `model.json`); every failure is one `ModelFileError` line."""
        d = Path(directory)
        if d.is_file():
            d = d.parent
        meta_path, weights_path = d / META, d / WEIGHTS
        for p in (meta_path, weights_path):
            if not p.is_file():
                raise ModelFileError(f"{p}: file not found (a model folder holds {META} and {WEIGHTS})")
        try:
            doc = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ModelFileError(f"{meta_path}: not valid JSON ({err})") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ModelFileError(f"{meta_path}: not a gestura model file")
        if doc.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(f"{meta_path}: unsupported format_version {doc.get('format_version')!r} "
                                 f"(this gestura reads {FORMAT_VERSION})")
        spec = parse_model_doc(meta_path, doc)
        arch, labels, feats, window = spec["architecture"], spec["labels"], spec["features"], spec["window"]
        expected_sha = spec["sha256"]
        blob = weights_path.read_bytes()
        if expected_sha and hashlib.sha256(blob).hexdigest() != expected_sha:
            raise ModelFileError(f"{weights_path}: checksum mismatch (file truncated or modified)")
        try:
            from safetensors.torch import load as st_load

            state = st_load(blob)
        except Exception as err:  # safetensors raises its own SafetensorError
            raise ModelFileError(f"{weights_path}: not a readable safetensors file ({err})") from None
        pipeline = _load_pipeline(meta_path, feats)
        model = _build_model(meta_path, arch, state)
        in_dim = int(getattr(model.cfg, "input_dim", pipeline.dim))
        if in_dim != int(pipeline.dim) or int(feats.get("dim", pipeline.dim)) != int(pipeline.dim):
            raise ModelFileError(f"{meta_path}: feature schema {feats.get('schema')!r} gives {pipeline.dim} "
                                 f"features but the model expects {in_dim}")
        n_out = getattr(model.cfg, "num_classes", len(labels))
        if int(n_out) != len(labels):
            raise ModelFileError(f"{meta_path}: {len(labels)} labels but the model has {n_out} outputs")
        return cls(model=model.eval(), pipeline=pipeline, labels=labels, window=window, stride=spec["stride"],
                   thresholds=spec["thresholds"], meta=spec["meta"], resample_fps=spec["resample_fps"])


def parse_model_doc(meta_path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """Check every field of a `model.json` document against its type and `gestura.limits` bound before anything
    is built; returns the parsed fields. Each problem is one `ModelFileError` naming the file, field and bound."""
    from gestura.limits import MAX_ARCH_INT, check_fps, check_number, check_window

    def bad(msg: str) -> ModelFileError:
        return ModelFileError(f"{meta_path}: {msg}")

    try:
        arch, raw_labels, feats = doc["architecture"], doc["labels"], doc["features"]
        expected_sha = doc["weights"]["sha256"]
    except (KeyError, TypeError) as err:
        raise bad(f"missing or bad field {err}") from None
    if not isinstance(raw_labels, list) or not raw_labels or len(raw_labels) > MAX_ARCH_INT:
        raise bad(f"labels: expected a list of 1 to {MAX_ARCH_INT} names")
    if not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in raw_labels):
        raise bad("labels: every label must be a string")
    labels = [str(x) for x in raw_labels]
    if not isinstance(arch, dict) or not isinstance(arch.get("name"), str) or \
            not isinstance(arch.get("params", {}), dict):
        raise bad("architecture: expected {name: str, params: {...}}")
    if not isinstance(feats, dict) or not isinstance(feats.get("pipeline"), dict):
        raise bad("features: expected {schema, dim, pipeline: {...}}")
    if "dim" in feats:
        check_number(feats["dim"], f"{meta_path}: features.dim", low=1, high=MAX_ARCH_INT, integer=True,
                     error=ModelFileError)
    if not isinstance(expected_sha, str):
        raise bad("weights.sha256: expected a hex string")
    for key, value in arch.get("params", {}).items():
        for i, v in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                where = f"architecture.params.{key}" + (f"[{i}]" if isinstance(value, list) else "")
                check_number(v, where, low=0 if isinstance(v, int) else None,
                             high=MAX_ARCH_INT if isinstance(v, int) else None, error=ModelFileError)
                if isinstance(v, float) and abs(v) > MAX_ARCH_INT:
                    raise bad(f"{where}: {v:g} is out of bounds (must be a whole number <= {MAX_ARCH_INT})")
    try:
        window = check_window(doc.get("window"), "window", ModelFileError)
        stride = check_window(doc.get("stride", 1), "stride", ModelFileError)
        fps = doc.get("resample_fps")
        resample_fps = None if fps is None else check_fps(fps, "resample_fps", ModelFileError)
        thresholds = doc.get("thresholds") or {}
        if not isinstance(thresholds, dict):
            raise ModelFileError("thresholds: expected a mapping label -> number")
        thresholds = {str(k): float(check_number(v, f"thresholds.{k}", low=0, high=1, error=ModelFileError))
                      for k, v in thresholds.items()}
    except ModelFileError as err:
        raise bad(str(err)) from None
    meta = doc.get("meta") or {}
    if not isinstance(meta, dict):
        raise bad("meta: expected a mapping")
    return {"architecture": arch, "labels": labels, "features": feats, "window": window, "stride": stride,
            "resample_fps": resample_fps, "thresholds": thresholds, "meta": dict(meta), "sha256": expected_sha}


def _drop_stale_onnx(d: Path, weights_sha256: str) -> None:
    """Remove a `model.onnx` (and its report) exported from other weights than the ones being written, so the
    ONNX engine can never run a stale graph; one whose report records these very weights is kept."""
    onnx, report = d / "model.onnx", d / "onnx_export.json"
    if not onnx.exists():
        return
    try:
        same = json.loads(report.read_text(encoding="utf-8")).get("weights_sha256") == weights_sha256
    except (OSError, ValueError, AttributeError):
        same = False
    if not same:
        onnx.unlink(missing_ok=True)
        report.unlink(missing_ok=True)


def read_model_json(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Just the `model.json` document of an artifact folder (no torch needed)."""
    d = Path(directory)
    try:
        return read_json(d if d.is_file() else d / META)
    except InputError as err:
        raise ModelFileError(str(err)) from None


def _load_pipeline(meta_path: Path, feats: dict[str, Any]) -> Any:
    from gestura.features.pipeline import FeaturePipeline

    try:
        return FeaturePipeline.from_dict(feats["pipeline"])
    except GesturaError as err:
        raise ModelFileError(f"{meta_path}: feature pipeline: {err}") from None
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{meta_path}: bad feature pipeline ({type(err).__name__}: {err})") from None


def _build_model(meta_path: Path, arch: dict[str, Any], state: dict[str, Any]) -> Any:
    """Build the model first on torch's `meta` device (no memory) and compare every parameter shape with the
    weights file; only a model whose shapes match the (already checksummed) weights is then really allocated."""
    import torch

    from gestura.models import create_model

    def build() -> Any:
        try:
            return create_model(arch["name"], **arch.get("params", {}))
        except ConfigError as err:
            raise ModelFileError(f"{meta_path}: {err}") from None
        except Exception as err:  # a bad size reaches torch's constructors as TypeError/ValueError/RuntimeError
            raise ModelFileError(f"{meta_path}: bad architecture entry ({type(err).__name__}: "
                                 f"{str(err).splitlines()[0][:160] if str(err) else ''})") from None

    with torch.device("meta"):
        ghost = build()
    shapes = {k: tuple(v.shape) for k, v in ghost.state_dict().items()}
    have = {k: tuple(v.shape) for k, v in state.items()}
    if shapes != have:
        diff = sorted(k for k in set(shapes) | set(have) if shapes.get(k) != have.get(k))[:2]
        detail = ", ".join(f"{k}: model {shapes.get(k)} vs file {have.get(k)}" for k in diff)
        raise ModelFileError(f"{meta_path}: weights do not fit architecture {arch.get('name')!r} ({detail})")
    model = build()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).strip().splitlines()
        raise ModelFileError(f"{meta_path}: weights do not fit architecture {arch.get('name')!r} "
                             f"({' '.join(first[:2])[:200]})") from None
    return model


def default_thresholds(labels: Sequence[str], value: float = 0.5) -> dict[str, float]:
    """The same threshold for every class."""
    return {str(lb): float(value) for lb in labels}


def load_artifact(directory: str | os.PathLike[str]) -> Any:
    """Load any gestura artifact folder: a `ModelBundle`, or an `EnsembleBundle` when `ensemble.json` is there.

    Both offer the surface the runtime and `evaluate` use (`labels`, `pipeline`, `window`, `stride`,
    `thresholds`, `resample_fps`, `meta`, `predict_proba`).
    """
    d = Path(directory)
    if d.is_file():
        d = d.parent
    if (d / "ensemble.json").is_file():
        from gestura.models.ensemble import EnsembleBundle

        return EnsembleBundle.load(d)
    return ModelBundle.load(d)
