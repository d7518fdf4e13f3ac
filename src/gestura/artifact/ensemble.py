"""`EnsembleBundle`: the model folder of a stacked ensemble (members + XGBoost stack), loaded without pickle.

Folder layout: `ensemble.json` (format, labels, member folders, options), `members/<i>/` (each a normal model
folder, `ModelBundle`), `stack/` (`XGBStack.save`: the booster's own JSON). Member and stack paths in
`ensemble.json` must stay inside the folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.artifact.bundle import ModelBundle
from gestura.artifact.spec import ENSEMBLE_FILE, ArtifactSpec
from gestura.errors import InputError, ModelFileError
from gestura.io import path_inside, read_json, write_json
from gestura.models.ensemble import StackedEnsemble, XGBStack

ENSEMBLE_FORMAT = "gestura-ensemble-v1"


class EnsembleBundle(StackedEnsemble):
    """An ensemble artifact with the `ModelBundle` surface the runtime and `evaluate` use.

    Folder layout: `ensemble.json` (format, labels, member folders, options), `members/<i>/` (each a normal
    model artifact), `stack/` (`XGBStack.save`). Members must share the feature pipeline and window. The stack
    is fitted on label indices into `labels`; `predict_proba` returns every label's column (0 for labels the
    stack never saw).
    """

    def __init__(self, members: Sequence[Any], stack: XGBStack, labels: Sequence[str],
                 use_statistics: bool = True, meta: dict[str, Any] | None = None) -> None:
        super().__init__(members, stack, use_statistics)
        if not self.members:
            raise InputError("EnsembleBundle: needs at least one member")
        self.labels = [str(x) for x in labels]
        for m in self.members:
            if list(m.labels) != self.labels or m.window != self.members[0].window or \
                    m.pipeline.to_dict() != self.members[0].pipeline.to_dict():
                raise InputError("EnsembleBundle: members must share labels, window and feature pipeline")
        self.meta = dict(meta or {})

    pipeline = property(lambda self: self.members[0].pipeline)
    window = property(lambda self: self.members[0].window)
    stride = property(lambda self: self.members[0].stride)
    thresholds = property(lambda self: self.members[0].thresholds)
    resample_fps = property(lambda self: getattr(self.members[0], "resample_fps", None))
    input_dim = property(lambda self: self.members[0].input_dim)

    def predict_proba(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """`(B, T, F), (B, T) -> (B, K)` over `labels`."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 2:
            x = x[None]
            mask = None if mask is None else np.asarray(mask)[None]
        p = self.stack.predict_proba(self.stack_features(x, mask))
        out = np.zeros((len(x), len(self.labels)), np.float32)
        out[:, self.stack.classes_.astype(int)] = p
        return out

    def save(self, directory: str | Path) -> Path:
        """Write members, stack and `ensemble.json` into `directory`."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        names = []
        for i, m in enumerate(self.members):
            m.save(d / "members" / str(i))
            names.append(f"members/{i}")
        self.stack.save(d / "stack")
        write_json(d / ENSEMBLE_FILE, {"format": ENSEMBLE_FORMAT, "labels": self.labels, "members": names,
                                       "stack": "stack", "use_statistics": self.use_statistics, "meta": self.meta})
        return d

    @property
    def spec(self) -> ArtifactSpec:
        """Everything but the weights (what the runtime reads)."""
        return ArtifactSpec.from_bundle(self)

    @classmethod
    def load(cls, directory: str | Path) -> EnsembleBundle:
        """Load what `save` wrote; every problem is a one-line `ModelFileError`."""
        d = Path(directory)
        try:
            doc = read_json(d / ENSEMBLE_FILE)
        except InputError as err:
            raise ModelFileError(str(err)) from None
        if not isinstance(doc, dict) or doc.get("format") != ENSEMBLE_FORMAT:
            raise ModelFileError(f"{d / ENSEMBLE_FILE}: not a {ENSEMBLE_FORMAT} file")
        try:
            where = d / ENSEMBLE_FILE
            if not isinstance(doc["members"], list):
                raise ModelFileError(f"{where}: members: expected a list of folders")
            paths = [path_inside(d, m, f"{where}: members[{i}]", ModelFileError)
                     for i, m in enumerate(doc["members"])]
            stack_dir = path_inside(d, doc["stack"], f"{where}: stack", ModelFileError)
            members = [ModelBundle.load(p) for p in paths]
            stack = XGBStack.load(stack_dir)
            return cls(members, stack, doc["labels"], bool(doc.get("use_statistics", True)), doc.get("meta"))
        except (KeyError, TypeError) as err:
            raise ModelFileError(f"{d / ENSEMBLE_FILE}: missing or bad field {err}") from None
        except InputError as err:
            raise ModelFileError(f"{d / ENSEMBLE_FILE}: {err}") from None
