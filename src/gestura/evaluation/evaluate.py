"""`evaluate_artifact`: score a saved model on a dataset (its held-out test split, or all of it).

`--label-map MAP.yaml` maps the dataset's label names onto the model's (`thank-you: thanks`); windows whose label
the model does not know are skipped and counted in `n_skipped`. `--only-mapped` restricts the model's choice to
the labels the dataset maps onto (checking a 33-sign model on recordings of 4 of its signs).
Writes `report.json` and `confusion.png` into `out`. Imports no optimiser.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import InputError
from gestura.io import read_yaml_mapping
from gestura.evaluation.metrics import EvaluationReport


def read_label_map(path: str | os.PathLike[str], model_labels: list[str]) -> dict[str, str]:
    """`{dataset label: model label}` from YAML; a target the model does not know is a one-line `InputError`."""
    p = Path(path)
    raw = read_yaml_mapping(p, "label map", InputError)
    out = {str(k): str(v) for k, v in raw.items()}
    if bad := sorted(v for v in set(out.values()) if v not in model_labels):
        raise InputError(f"{p}: model has no label(s) {bad[:5]}; its labels: {model_labels[:12]}")
    return out


def find_splits(artifact: str | os.PathLike[str]) -> Path | None:
    """`splits.json` in the artifact folder or its run folder, if any."""
    d = Path(artifact)
    d = d.parent if d.is_file() else d
    for cand in (d / "splits.json", d.parent / "splits.json"):
        if cand.is_file():
            return cand
    return None


def relabel(seq: Any, mapping: dict[str, str], known: set[str]) -> Any:
    """The sequence with labels mapped onto model labels (unknown ones become None / "")."""
    def one(lb: str) -> str | None:
        lb2 = mapping.get(lb, lb)
        return lb2 if lb2 in known else None

    label = None if seq.label is None else one(str(seq.label))
    fl = seq.frame_labels
    if fl is not None:
        fl = np.array([one(str(x)) or "" for x in fl], dtype=str)
    return replace(seq, label=label, frame_labels=fl)


def evaluate_artifact(artifact: str | os.PathLike[str], data: str | os.PathLike[str], split: str = "test",
                      label_map: str | os.PathLike[str] | None = None, only_mapped: bool = False,
                      out: str | os.PathLike[str] | None = None, splits_file: str | os.PathLike[str] | None = None,
                      data_format: str | None = None) -> EvaluationReport:
    """Score `artifact` on `data` (`split`: test|all); writes `report.json` + `confusion.png` into `out`."""
    from gestura.artifact import load_artifact
    from gestura.data.dataset import WindowDataset
    from gestura.data.formats import load_dataset
    from gestura.data.splits import Split
    from gestura.evaluation.metrics import evaluate
    from gestura.io import write_json

    if split not in ("test", "all"):
        raise InputError(f"--split must be test or all, got {split!r}")
    bundle = load_artifact(artifact)
    ds = load_dataset(data, format=data_format)
    if len(ds) == 0:
        raise InputError(f"{data}: empty dataset (no sequences)")
    seqs = list(ds.sequences)
    if split == "test":
        sp_path = Path(splits_file) if splits_file else find_splits(artifact)
        if sp_path is None:
            raise InputError(f"{artifact}: no splits.json beside the model; pass --splits FILE or --split all")
        sp = Split.load(sp_path)
        keep = set(sp.test)
        seqs = [s for s in seqs if s.video_id in keep]
        if not seqs:
            raise InputError(f"{sp_path}: none of its test ids are in {data} (other dataset? use --split all)")
    mapping = read_label_map(label_map, bundle.labels) if label_map else {}
    known = set(bundle.labels)
    seqs = [relabel(s, mapping, known) for s in seqs]
    wds = WindowDataset(seqs, bundle.pipeline, bundle.labels, bundle.window, bundle.stride)
    if len(wds) == 0:
        raise InputError(f"{data}: no window has a label the model knows ({wds.n_skipped} skipped); "
                         "map the labels with --label-map")
    proba = _predict(bundle, wds)
    allowed = None
    if only_mapped:
        names = {mapping.get(lb, lb) for lb in ds.labels} & known
        allowed = sorted(bundle.labels.index(n) for n in names)
    subjects = [wds.sequences[i].subject for i in wds.sequence_index]
    report = evaluate(wds.targets, proba, bundle.labels, subjects=subjects if any(subjects) else None,
                      n_skipped=wds.n_skipped, allowed=allowed)
    report.extra.update({"artifact": str(artifact), "data": str(data), "split": split,
                         "only_mapped": bool(only_mapped), "label_map": mapping})
    if out is not None:
        from gestura.evaluation.plots import plot_confusion

        o = Path(out)
        o.mkdir(parents=True, exist_ok=True)
        write_json(o / "report.json", report.to_dict())
        plot_confusion(report.confusion, bundle.labels, o / "confusion.png",
                       title=f"{Path(artifact).name} on {Path(data).name}: accuracy {report.accuracy:.3f} "
                             f"(n={report.n})")
    return report


def _predict(bundle: Any, wds: Any, batch: int = 256) -> np.ndarray:
    out = []
    for lo in range(0, len(wds), batch):
        xs, ms = zip(*(wds.features(i) for i in range(lo, min(lo + batch, len(wds)))))
        out.append(bundle.predict_proba(np.stack(xs), np.stack(ms)))
    return np.concatenate(out)
