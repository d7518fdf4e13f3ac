"""`predict_dataset`: the embedded default over a synthetic dataset, chunked, written as CSV."""

from __future__ import annotations

import csv

import pytest

from gestura.data.synthetic import make_dataset
from gestura.errors import InputError
from gestura.runtime.batch import predict_dataset
from gestura.runtime.recognizer import Recognizer


def test_chunks_give_the_recognizer_s_answer_for_every_clip_in_order(tmp_path):
    ds = make_dataset(n_subjects=1, n_per_class=1, seed=3)
    rows = predict_dataset(None, ds, chunk=3, out=tmp_path / "pred.csv")
    rec = Recognizer.from_file()
    assert [r.video_id for r in rows] == [str(s.video_id) for s in ds.sequences]
    for r, seq in zip(rows, ds.sequences):
        p = rec.predict(seq)
        assert r.pred == p.label and r.score == pytest.approx(p.score, abs=1e-6) and r.label == seq.label
    with open(tmp_path / "pred.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [t["pred"] for t in table] == [r.pred for r in rows]
    assert sum(r.pred == r.label for r in rows) > 0  # the default model knows these synthetic gestures
    with pytest.raises(InputError, match="--chunk must be >= 1"):
        predict_dataset(None, ds, chunk=0)
