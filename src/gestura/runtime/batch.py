"""`predict_dataset`: classify every clip of a landmark dataset with one artifact, locally or on Ray.

The clips are cut into chunks; each chunk is one task of `gestura.data.executors.map_files`, so the local process
pool and Ray run the same function (`predict_chunk`) and give the same numbers. A worker loads the artifact once
(module-level cache) and reuses it for every chunk it gets. Offline clip scoring = `Recognizer.predict`.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gestura.errors import GesturaError, InputError
from gestura.io import write_text

_RECOGNIZERS: dict[str, Any] = {}
COLUMNS = ("video_id", "label", "pred", "score", "error")


@dataclass(frozen=True)
class ClipPrediction:
    """One clip's outcome: true `label` (if known), predicted `pred` with its `score`, or a one-line `error`."""

    video_id: str
    label: str
    pred: str
    score: float
    error: str = ""


def _recognizer(artifact: str) -> Any:
    from gestura.runtime.recognizer import BaseOptions, Recognizer, RecognizerOptions

    if artifact not in _RECOGNIZERS:
        _RECOGNIZERS[artifact] = Recognizer.from_file(artifact or None,
                                                      RecognizerOptions(base_options=BaseOptions(num_threads=1)))
    return _RECOGNIZERS[artifact]


def predict_chunk(task: tuple[str, list[Any]]) -> list[ClipPrediction]:
    """Score one chunk `(artifact path, [LandmarkSequence, ...])`; a bad clip becomes an error row."""
    artifact, seqs = task
    rec = _recognizer(artifact)
    rows = []
    for i, seq in enumerate(seqs):
        vid = str(seq.video_id or i)
        try:
            p = rec.predict(seq)
            rows.append(ClipPrediction(vid, seq.label or "", p.label, round(float(p.score), 6)))
        except GesturaError as err:
            rows.append(ClipPrediction(vid, seq.label or "", "", 0.0, str(err)))
    return rows


def predict_dataset(artifact: str | os.PathLike[str] | None, data: str | os.PathLike[str] | Any, *,
                    engine: str = "local", workers: int = 1, address: str | None = None,
                    num_cpus: int | None = None, chunk: int = 64, out: str | os.PathLike[str] | None = None,
                    progress: bool = False) -> list[ClipPrediction]:
    """Predict every clip of `data` (a path `load_dataset` reads, or a `LandmarkDataset`) with `artifact` (None =
    the embedded default); rows come back in dataset order and, with `out`, are written to a CSV atomically."""
    from gestura.data.executors import map_files
    from gestura.data.formats import load_dataset

    if chunk < 1:
        raise InputError(f"--chunk must be >= 1, got {chunk}")
    ds = load_dataset(data) if isinstance(data, (str, os.PathLike)) else data
    seqs = list(ds.sequences)
    if not seqs:
        raise InputError(f"{data}: no clips to predict")
    art = str(Path(artifact).resolve()) if artifact is not None else ""
    _recognizer(art) if engine == "local" and workers == 1 else None  # fail early on a bad artifact
    tasks = [(art, seqs[i : i + chunk]) for i in range(0, len(seqs), chunk)]
    parts = map_files(predict_chunk, tasks, workers, progress, description="predicting",
                      in_process=engine == "local" and workers == 1, engine=engine, address=address,
                      num_cpus=num_cpus)
    rows = [r for part in parts for r in part]
    if out is not None:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(asdict(r) for r in rows)
        write_text(out, buf.getvalue())
    return rows
