"""The one parser of `model.json`: every field checked against its type and `gestura.limits` bound.

`model.json` holds everything needed to rebuild a model and its input: the registered architecture name and
parameters, labels, the feature pipeline (schema id + params), window/stride, per-class thresholds, resampling
rate, free-form meta, the gestura version and the SHA-256 of the weights file. `load_spec` reads it into an
`ArtifactSpec` without torch, so the torch bundle, the ONNX bundle and the runtime all see the same checked fields.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gestura.errors import GesturaError, InputError, ModelFileError
from gestura.features.pipeline import FeaturePipeline
from gestura.io import read_json
from gestura.limits import MAX_ARCH_INT, check_fps, check_number, check_window

FORMAT = "gestura-model"
FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
META = "model.json"
CARD = "README.md"
ENSEMBLE_FILE = "ensemble.json"
"""Marks an ensemble folder (`gestura.artifact.ensemble`)."""


@dataclass
class ArtifactSpec:
    """Everything but the weights: labels, feature pipeline, window, thresholds, resampling rate, meta; and, when
    read from a file, the architecture entry and the weights checksum."""

    labels: list[str]
    pipeline: Any
    window: int
    stride: int = 1
    thresholds: dict[str, float] = field(default_factory=dict)
    resample_fps: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    architecture: dict[str, Any] = field(default_factory=dict)
    weights_sha256: str = ""

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> ArtifactSpec:
        """Read an artifact folder's (or a `model.json` file's) spec; see `load_spec`."""
        return load_spec(path)

    @classmethod
    def from_bundle(cls, bundle: Any) -> ArtifactSpec:
        """The spec of an in-memory bundle (anything with labels, pipeline, window, stride, thresholds, ...)."""
        return cls(labels=list(bundle.labels), pipeline=bundle.pipeline, window=int(bundle.window),
                   stride=int(bundle.stride), thresholds=dict(bundle.thresholds),
                   resample_fps=getattr(bundle, "resample_fps", None), meta=dict(bundle.meta))


def folder_of(path: str | os.PathLike[str]) -> Path:
    """The artifact folder for a folder or a file inside it."""
    p = Path(path)
    return p.parent if p.is_file() else p


def read_model_json(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Just the `model.json` document of an artifact folder (no checks beyond valid JSON, no torch)."""
    d = Path(directory)
    try:
        return read_json(d if d.is_file() else d / META)
    except InputError as err:
        raise ModelFileError(str(err)) from None


def load_spec(path: str | os.PathLike[str]) -> ArtifactSpec:
    """Read and check `model.json` of an artifact folder and build its feature pipeline (no torch import).

    Every problem is one `ModelFileError` line naming the file and the field."""
    meta_path = folder_of(path) / META
    if not meta_path.is_file():
        raise ModelFileError(f"{meta_path}: file not found (a model folder holds {META} and {WEIGHTS})")
    try:
        doc = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{meta_path}: not valid JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{meta_path}: not a gestura model file")
    if doc.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{meta_path}: unsupported format_version {doc.get('format_version')!r} "
                             f"(this gestura reads {FORMAT_VERSION})")
    fields = parse_model_doc(meta_path, doc)
    feats = fields["features"]
    pipeline = _load_pipeline(meta_path, feats)
    if int(feats.get("dim", pipeline.dim)) != int(pipeline.dim):
        raise ModelFileError(f"{meta_path}: feature schema {feats.get('schema')!r} gives {pipeline.dim} "
                             f"features but features.dim is {feats.get('dim')}")
    return ArtifactSpec(labels=fields["labels"], pipeline=pipeline, window=fields["window"],
                        stride=fields["stride"], thresholds=fields["thresholds"],
                        resample_fps=fields["resample_fps"], meta=fields["meta"],
                        architecture=fields["architecture"], weights_sha256=fields["sha256"])


def parse_model_doc(meta_path: Path, doc: dict[str, Any]) -> dict[str, Any]:
    """Check every field of a `model.json` document against its type and `gestura.limits` bound before anything
    is built; returns the parsed fields. Each problem is one `ModelFileError` naming the file, field and bound."""

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


def _load_pipeline(meta_path: Path, feats: dict[str, Any]) -> FeaturePipeline:
    try:
        return FeaturePipeline.from_dict(feats["pipeline"])
    except GesturaError as err:
        raise ModelFileError(f"{meta_path}: feature pipeline: {err}") from None
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{meta_path}: bad feature pipeline ({type(err).__name__}: {err})") from None
