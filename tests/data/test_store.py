"""Sharded memory-mapped store: round trip, windows, errors, and memory that does not grow with the data."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from gestura.data.dataset import collate
from gestura.data.dataset import WindowDataset
from gestura.data.splits import make_split
from gestura.data.store import (LandmarkStore, StoreData, StoreFeatureDataset, StoreWindowDataset, StoreWriter,
                                build_feature_store, is_store, write_store)
from gestura.data.synthetic import make_dataset, make_stream_dataset
from gestura.errors import InputError, SchemaError
from gestura.features.pipeline import FeaturePipeline


def _items(n: int, dim: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    for i in range(n):
        yield rng.normal(size=(int(rng.integers(3, 30)), dim)).astype(np.float32), "ab"[i % 2], f"s{i % 3}"


def test_round_trip_over_several_shards_is_exact_and_atomic(tmp_path):
    items = list(_items(40))
    root = write_store(tmp_path / "st", iter(items), dim=6, labels=["a", "b"], shard_frames=100)
    store = LandmarkStore(root)
    assert len(store) == 40 and len(store.shard_frames) > 3
    assert sorted(p.name for p in root.iterdir()) == sorted(
        ["index.json"] + [f"shard-{i:05d}.npy" for i in range(len(store.shard_frames))])
    for i, (x, label, group) in enumerate(items):
        got = store.item(i)
        assert isinstance(got.base, np.memmap) or isinstance(got, np.memmap)
        np.testing.assert_array_equal(got, x)
        assert store.labels[store.targets[i]] == label and store.groups[i] == group


def test_windows_pad_short_items_and_feed_the_standard_collate(tmp_path):
    with StoreWriter(tmp_path / "st", dim=2, labels=["x", "y"], shard_frames=8) as w:
        w.add(np.arange(20, dtype=np.float32).reshape(10, 2), "x")
        w.add(np.ones((3, 2), np.float32), "y")
    ds = StoreWindowDataset(tmp_path / "st", window=4, stride=3)
    assert len(ds) == 3 + 1  # starts 0, 3, 6 in the 10-frame item; one padded window for the 3-frame item
    x, m, y = ds[1]
    np.testing.assert_array_equal(x.numpy(), np.arange(6, 14, dtype=np.float32).reshape(4, 2))
    assert m.all() and y == 0
    x, m, y = ds[3]
    assert m.tolist() == [True, True, True, False] and y == 1 and float(x[3].abs().sum()) == 0.0
    xb, mb, yb = next(iter(DataLoader(ds, batch_size=4, collate_fn=collate)))
    assert xb.shape == (4, 4, 2) and mb.dtype == torch.bool and yb.tolist() == [0, 0, 0, 1]
    assert ds.targets.tolist() == [0, 0, 0, 1]


def test_bad_stores_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="not a gestura store"):
        LandmarkStore(tmp_path)
    w = StoreWriter(tmp_path / "st", dim=3, labels=["a"])
    with pytest.raises(SchemaError, match=r"must be \(T>0, 3\)"):
        w.add(np.zeros((4, 2)), "a")
    with pytest.raises(SchemaError, match="label 'z'"):
        w.add(np.zeros((4, 3)), "z")
    w.add(np.zeros((4, 3)), "a")
    assert not (tmp_path / "st" / "index.json").exists()  # not finished yet: readers refuse it
    w.close()
    np.save(tmp_path / "st" / "shard-00000.npy", np.zeros((5, 3), np.float32))
    with pytest.raises(SchemaError, match="does not match the index"):
        LandmarkStore(tmp_path / "st").item(0)
    meta = json.loads((tmp_path / "st" / "index.json").read_text())
    meta["version"] = "other"
    (tmp_path / "st" / "index.json").write_text(json.dumps(meta))
    with pytest.raises(SchemaError, match="not a gestura-store-v1 index"):
        LandmarkStore(tmp_path / "st")


def _iteration_peak(root) -> int:
    ds = StoreWindowDataset(root, window=16, stride=16)
    tracemalloc.start()
    total = 0.0
    for xb, _, _ in DataLoader(ds, batch_size=32, collate_fn=collate):
        total += float(xb[:, 0, 0].sum())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_python_heap_while_streaming_does_not_grow_with_the_store(tmp_path):
    small = write_store(tmp_path / "s", _items(60, dim=64), dim=64, labels=["a", "b"], shard_frames=512)
    big = write_store(tmp_path / "b", _items(600, dim=64), dim=64, labels=["a", "b"], shard_frames=512)
    assert LandmarkStore(big).shard_frames and sum(LandmarkStore(big).shard_frames) > 9 * sum(
        LandmarkStore(small).shard_frames)
    p_small, p_big = _iteration_peak(small), _iteration_peak(big)
    data_big = sum(LandmarkStore(big).shard_frames) * 64 * 4
    assert p_big < 0.25 * data_big and p_big < 2 * p_small + 200_000, (p_small, p_big, data_big)


@pytest.mark.parametrize("kind", ["clips", "streams"])
def test_feature_store_windows_equal_the_in_memory_windows(tmp_path, kind):
    ds = make_dataset(4, 2, n_classes=3, n_frames=24) if kind == "clips" else make_stream_dataset(3, 1, 1)
    pipe = FeaturePipeline("feature-schema-v1")
    root = build_feature_store(ds, pipe, tmp_path / "st", shard_frames=100)
    assert is_store(root) and not is_store(tmp_path)
    data = StoreData(root)
    assert data.labels == ds.labels and data.pipeline.to_dict() == pipe.to_dict()
    assert len(data.store.shard_frames) > 1 and (root / "valid-00000.npy").is_file()
    for stub, seq in zip(data.sequences, ds.sequences):
        assert (stub.video_id, stub.subject, stub.session, stub.label, stub.n_frames) == (
            seq.video_id, seq.subject, seq.session, seq.label, seq.n_frames)
        if seq.frame_labels is not None:
            np.testing.assert_array_equal(stub.frame_labels, seq.frame_labels)
    kw = dict(group_by="subject", seed=3, window=16, stride=5)
    split = make_split(data.sequences, **kw)
    assert split.to_dict() == make_split(ds.sequences, **kw).to_dict()
    ids = [s.video_id for s in ds.sequences]
    for part in ("train", "test"):
        keep = split.part_of(ids, part)
        mem = WindowDataset([s for s, k in zip(ds.sequences, keep) if k], pipe, ds.labels, 16, 5,
                            max_per_class=6 if part == "train" else None, seed=1)
        st = StoreFeatureDataset(data, ds.labels, 16, 5, items=np.flatnonzero(keep),
                                 max_per_class=6 if part == "train" else None, seed=1)
        assert len(st) == len(mem) > 0 and st.n_skipped == mem.n_skipped
        for a, b in zip(st.arrays(), mem.arrays()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(st.sequence_index, mem.sequence_index)
        x, m, y = st[len(st) - 1]
        assert x.dtype == torch.float32 and m.dtype == torch.bool and y == int(mem.targets[-1])


def test_feature_store_extras_are_backward_compatible(tmp_path):
    root = write_store(tmp_path / "old", _items(5), dim=6, labels=["a", "b"])
    old = LandmarkStore(root)
    assert not old.per_frame and old.infos == [{}] * 5 and old.frame_label_ids(0) is None
    assert old.valid(0, 0, 2).tolist() == [True, True]
    with pytest.raises(SchemaError, match="not a feature store"):
        StoreData(root)
    with StoreWriter(tmp_path / "new", dim=2, labels=["x", "y"], per_frame=True) as w:
        w.add(np.ones((3, 2)), None, valid=[True, False, True], frame_labels=["x", "y", "y"], info={"video_id": "v"})
        with pytest.raises(SchemaError, match="frame label"):
            w.add(np.ones((2, 2)), None, frame_labels=["x", "q"])
        with pytest.raises(SchemaError, match="needs a label"):
            w.add(np.ones((2, 2)), None)
    new = LandmarkStore(tmp_path / "new")
    assert new.targets.tolist() == [-1] and new.infos == [{"video_id": "v"}]
    assert new.valid(0, 0, 3).tolist() == [True, False, True] and new.frame_label_ids(0).tolist() == [0, 1, 1]
    assert len(StoreWindowDataset(tmp_path / "new", window=2, stride=1)) == 2  # the raw reader still opens it
    with pytest.raises(SchemaError, match="need StoreWriter"):
        StoreWriter(tmp_path / "x", dim=2, labels=["x"]).add(np.ones((2, 2)), "x", valid=[True, True])
