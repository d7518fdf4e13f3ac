"""A sharded, memory-mapped store of per-frame arrays, for datasets bigger than memory.

Layout of a store folder: `shard-00000.npy`, `shard-00001.npy`, ... each a `(frames, F)` float32 array that
holds many items back to back, and `index.json` (`{"version", "dim", "labels", "shards": [n_frames...],
"items": [[shard, start, length, label_id, group], ...]}`). Each shard and the index are written atomically; the
index is written last, so a folder without one is an unfinished store. `StoreWindowDataset` opens shards with
`np.load(mmap_mode="r")` and copies only the window it returns, so a training process holds one window per sample
in memory, whatever the store's size: the page cache, not the process, carries the data (pages read are
released from the mapping again, see `LandmarkStore.window`).

A *feature store* (`build_feature_store`, `gestura data store`) adds, in the same v1 format (older readers ignore
the extras): per shard `valid-NNNNN.npy` `(frames,)` bool and `flabel-NNNNN.npy` `(frames,)` int32 frame-label
ids (-1: none); per item a sixth entry `{"video_id", "subject", "session", "episode", "source"}`; label_id -1 for
items labelled per frame only; and `"per_frame": true, "meta": {"features": pipeline.to_dict(), ...}` in the
index. `gestura train --data STORE` splits it by the stored ids and streams windows through
`StoreFeatureDataset`, which applies `pipeline.window_features` per window exactly like `WindowDataset`.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import InputError, SchemaError
from gestura.features.handedness import mirror_label, mostly_left
from gestura.io import atomic_write, read_json, write_json

STORE_VERSION = "gestura-store-v1"
INDEX = "index.json"


class StoreWriter:
    """Append `(T, F)` items; a shard is flushed to disk once it holds `shard_frames` frames.

    Peak memory is one shard, so a dataset of any size can be written from a generator. Use as a context
    manager (the index is written on a clean exit) or call `close()`.
    """

    def __init__(self, root: str | os.PathLike[str], dim: int, labels: Sequence[str],
                 shard_frames: int = 65_536, *, per_frame: bool = False,
                 meta: dict[str, Any] | None = None) -> None:
        if dim < 1 or shard_frames < 1:
            raise InputError(f"{root}: store needs dim >= 1 and shard_frames >= 1")
        self.root, self.dim, self.labels = Path(root), int(dim), list(labels)
        self.shard_frames = int(shard_frames)
        self.per_frame, self.meta = bool(per_frame), dict(meta or {})
        self._label_id = {name: i for i, name in enumerate(self.labels)}
        self._buf: list[np.ndarray] = []
        self._valid: list[np.ndarray] = []
        self._hand: list[np.ndarray] = []
        self._flabel: list[np.ndarray] = []
        self._buf_frames = 0
        self._shards: list[int] = []
        self._items: list[list[Any]] = []
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / INDEX).unlink(missing_ok=True)

    def add(self, x: np.ndarray, label: str | None, group: str = "", *, valid: np.ndarray | None = None,
            frame_labels: np.ndarray | None = None, info: dict[str, Any] | None = None,
            hand: np.ndarray | None = None) -> None:
        """Append one item: `x (T, F)`, its label (one of `labels`) and a group id (subject/session).

        A `per_frame` store also takes `valid (T,)` (default all True) and `frame_labels (T,)` (names in `labels`;
        then `label` may be None) and `hand (T,)` (0 no hand, 1 a right hand acts, 2 a left hand mirrored into
        right-hand space: the window's label then mirrors, as in `WindowDataset`), and every store an `info` dict
        of ids kept in the index."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.dim or x.shape[0] == 0:
            raise SchemaError(f"{self.root}: item must be (T>0, {self.dim}), got {x.shape}")
        t = x.shape[0]
        if label is None and not (self.per_frame and frame_labels is not None):
            raise SchemaError(f"{self.root}: an item needs a label (or frame labels in a per-frame store)")
        if label is not None and label not in self._label_id:
            raise SchemaError(f"{self.root}: label {label!r} is not one of {self.labels}")
        if not self.per_frame and (valid is not None or frame_labels is not None):
            raise SchemaError(f"{self.root}: valid masks and frame labels need StoreWriter(per_frame=True)")
        if self.per_frame:
            v = np.ones(t, bool) if valid is None else np.asarray(valid, dtype=bool)
            fl = np.full(t, -1, np.int32)
            if frame_labels is not None:
                names = np.asarray(frame_labels).astype(str)
                if bad := sorted(set(np.unique(names).tolist()) - set(self._label_id))[:3]:
                    raise SchemaError(f"{self.root}: frame label(s) {bad} not in {self.labels}")
                fl = np.array([self._label_id[n] for n in names], dtype=np.int32) if t else fl
            hd = np.ones(t, np.int8) if hand is None else np.asarray(hand, dtype=np.int8)
            if v.shape != (t,) or fl.shape != (t,) or hd.shape != (t,):
                raise SchemaError(f"{self.root}: valid/frame labels/hand must be ({t},), got {v.shape}/{fl.shape}/"
                                  f"{hd.shape}")
            self._valid.append(v)
            self._flabel.append(fl)
            self._hand.append(hd)
        entry: list[Any] = [len(self._shards), self._buf_frames, t,
                            -1 if label is None else self._label_id[label], group]
        if info is not None:
            entry.append(dict(info))
        self._items.append(entry)
        self._buf.append(x)
        self._buf_frames += x.shape[0]
        if self._buf_frames >= self.shard_frames:
            self._flush()

    def _flush(self) -> None:
        if not self._buf:
            return
        n = len(self._shards)
        if self.per_frame:
            for prefix, parts in (("valid", self._valid), ("flabel", self._flabel), ("hand", self._hand)):
                with atomic_write(self.root / f"{prefix}-{n:05d}.npy") as f:
                    np.save(f, np.concatenate(parts))
        with atomic_write(self.root / f"shard-{n:05d}.npy") as f:
            np.save(f, np.concatenate(self._buf))
        self._shards.append(self._buf_frames)
        self._buf, self._valid, self._flabel, self._hand, self._buf_frames = [], [], [], [], 0

    def close(self) -> Path:
        """Flush the last shard and write `index.json`; returns the store folder."""
        self._flush()
        index: dict[str, Any] = {"version": STORE_VERSION, "dim": self.dim, "labels": self.labels,
                                 "shards": self._shards, "items": self._items}
        if self.per_frame or self.meta:
            index.update(per_frame=self.per_frame, meta=self.meta)
        write_json(self.root / INDEX, index)
        return self.root

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.close()


def write_store(root: str | os.PathLike[str], items: Iterable[tuple[np.ndarray, str, str]], dim: int,
                labels: Sequence[str], shard_frames: int = 65_536) -> Path:
    """Write `(x (T, F), label, group)` items (any iterable, e.g. a generator) as a store; returns its folder."""
    with StoreWriter(root, dim, labels, shard_frames) as w:
        for x, label, group in items:
            w.add(x, label, group)
    return Path(root)


class LandmarkStore:
    """Read side of a store: item `i` is a read-only memory-mapped `(T, F)` view, loaded on first touch."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        index = self.root / INDEX
        if not index.is_file():
            raise InputError(f"{self.root}: not a gestura store (no {INDEX}; unfinished write?)")
        meta = read_json(index)
        if not isinstance(meta, dict) or meta.get("version") != STORE_VERSION:
            raise SchemaError(f"{index}: not a {STORE_VERSION} index")
        self.dim: int = int(meta["dim"])
        self.labels: list[str] = list(meta["labels"])
        self.shard_frames: list[int] = [int(n) for n in meta["shards"]]
        items = meta["items"]
        self._shard = np.array([it[0] for it in items], dtype=np.int32)
        self._start = np.array([it[1] for it in items], dtype=np.int64)
        self.lengths = np.array([it[2] for it in items], dtype=np.int64)
        self.targets = np.array([it[3] for it in items], dtype=np.int64)
        self.groups = [str(it[4]) for it in items]
        self.infos: list[dict[str, Any]] = [dict(it[5]) if len(it) > 5 and isinstance(it[5], dict) else {}
                                            for it in items]
        self.per_frame: bool = bool(meta.get("per_frame", False))
        self.meta: dict[str, Any] = dict(meta.get("meta") or {})
        self._maps: dict[int, np.ndarray] = {}
        self._extra: dict[tuple[str, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.lengths)

    def _map(self, shard: int) -> np.ndarray:
        if shard not in self._maps:
            self._maps[shard] = self._open(f"shard-{shard:05d}.npy", (self.shard_frames[shard], self.dim))
        return self._maps[shard]

    def _map_extra(self, prefix: str, shard: int) -> np.ndarray:
        key = (prefix, shard)
        if key not in self._extra:
            self._extra[key] = self._open(f"{prefix}-{shard:05d}.npy", (self.shard_frames[shard],))
        return self._extra[key]

    def _open(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Memory-map one shard file, checking its shape against the index."""
        path = self.root / name
        try:
            arr = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as err:
            raise InputError(f"{path}: cannot map the shard ({err})") from None
        if arr.shape != shape:
            raise SchemaError(f"{path}: shape {arr.shape} does not match the index {shape}")
        return arr

    def valid(self, i: int, start: int, stop: int) -> np.ndarray:
        """`(<= stop - start,)` bool copy of item `i`'s valid mask (all True in a store without masks)."""
        n = int(self.lengths[i])
        start, stop = max(0, min(start, n)), max(0, min(stop, n))
        if not self.per_frame:
            return np.ones(max(stop - start, 0), bool)
        a = int(self._start[i]) + start
        return np.array(self._map_extra("valid", int(self._shard[i]))[a : a + max(stop - start, 0)], dtype=bool)

    def hand(self, i: int) -> np.ndarray:
        """`(T,)` int8 of item `i`: 0 no hand, 1 right hand, 2 left hand mirrored (all 1 in older stores)."""
        n = int(self.lengths[i])
        if not self.per_frame or not (self.root / f"hand-{int(self._shard[i]):05d}.npy").is_file():
            return np.ones(n, np.int8)
        a = int(self._start[i])
        return np.array(self._map_extra("hand", int(self._shard[i]))[a : a + n], dtype=np.int8)

    def frame_label_ids(self, i: int) -> np.ndarray | None:
        """`(T,)` int32 frame-label ids of item `i` (-1: none), or None when it has no frame labels."""
        if not self.per_frame:
            return None
        a = int(self._start[i])
        ids = np.array(self._map_extra("flabel", int(self._shard[i]))[a : a + int(self.lengths[i])])
        return None if (ids < 0).all() else ids

    def item(self, i: int) -> np.ndarray:
        """`(T, F)` read-only view of item `i` (no copy)."""
        s, a = int(self._shard[i]), int(self._start[i])
        return self._map(s)[a : a + int(self.lengths[i])]

    def window(self, i: int, start: int, stop: int) -> np.ndarray:
        """A copy of frames `start:stop` of item `i`: `(<= stop - start, F)`.

        The pages just read are then dropped from this process's mapping (`madvise(MADV_DONTNEED)`; the kernel's
        page cache keeps them), so resident memory stays flat however much of the store an epoch touches."""
        n = int(self.lengths[i])
        start, stop = max(0, min(start, n)), max(0, min(stop, n))
        mm = self._map(int(self._shard[i]))
        a = int(self._start[i]) + start
        b = a + max(stop - start, 0)
        out = np.array(mm[a:b])
        _release(mm, a, b, self.dim * 4)
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_maps"], state["_extra"] = {}, {}  # DataLoader workers re-open the maps instead of pickling them
        return state


def _release(mm: np.ndarray, a: int, b: int, row_bytes: int) -> None:
    """Drop rows `a:b` of a memory-mapped array from this process's resident set (Linux; elsewhere a no-op)."""
    raw = getattr(mm, "_mmap", None)
    if raw is None or not hasattr(mmap, "MADV_DONTNEED") or b <= a:
        return
    base = int(getattr(mm, "offset", 0)) % mmap.ALLOCATIONGRANULARITY
    lo, hi = base + a * row_bytes, base + b * row_bytes
    lo -= lo % mmap.PAGESIZE
    try:
        raw.madvise(mmap.MADV_DONTNEED, lo, hi - lo)
    except (OSError, ValueError):
        pass


class StoreWindowDataset:
    """torch Dataset of fixed-length windows over a `LandmarkStore`: `(x (W, F), mask (W,), y)`, like
    `gestura.data.dataset.WindowDataset`, so `collate` and the trainer take it unchanged.

    Windows start every `stride` frames of each item (an item shorter than `window` gives one padded window).
    Only the index arrays live in memory; each `__getitem__` copies one window out of the map.
    """

    def __init__(self, store: LandmarkStore | str | os.PathLike[str], window: int, stride: int | None = None,
                 items: Sequence[int] | None = None) -> None:
        self.store = store if isinstance(store, LandmarkStore) else LandmarkStore(store)
        if window < 1:
            raise InputError(f"{self.store.root}: window must be >= 1, got {window}")
        self.window, self.stride = int(window), int(stride or window)
        ids = np.arange(len(self.store)) if items is None else np.asarray(items, dtype=np.int64)
        lengths = self.store.lengths[ids]
        counts = np.maximum(1, (np.maximum(lengths - self.window, 0) // self.stride) + 1)
        self._item = np.repeat(ids, counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        self._offset = (np.arange(len(self._item)) - first) * self.stride
        self.labels = self.store.labels

    def __len__(self) -> int:
        return len(self._item)

    @property
    def targets(self) -> np.ndarray:
        return self.store.targets[self._item]

    def set_epoch(self, epoch: int) -> None:
        """No augmentation here; kept so the trainer's per-epoch hook works."""

    def __getitem__(self, i: int) -> tuple[Any, Any, int]:
        import torch

        from gestura.data.dataset import pad_window

        it, off = int(self._item[i]), int(self._offset[i])
        x, m = pad_window(self.store.window(it, off, off + self.window), self.window)
        return torch.from_numpy(x), torch.from_numpy(m), int(self.store.targets[it])


# ---------------------------------------------------------------------------------------------- feature stores
def is_store(path: str | os.PathLike[str]) -> bool:
    """True when `path` is a store folder (has `index.json` of this format)."""
    index = Path(path) / INDEX
    if not index.is_file():
        return False
    try:
        meta = read_json(index)
    except Exception:  # noqa: BLE001 - any unreadable index is simply "not a store"
        return False
    return isinstance(meta, dict) and meta.get("version") == STORE_VERSION


def build_feature_store(data: Any, pipeline: Any, out_dir: str | os.PathLike[str], *,
                        format: str | None = None, shard_frames: int = 65_536) -> Path:
    """Featurise every sequence of `data` (a `LandmarkDataset` or a dataset path) once into a feature store.

    Per sequence: `pipeline.frame_features` `(T, F)` + valid `(T,)`, clip or frame labels and the group ids
    (video_id, subject, session, episode), so `train` can split and window it without the landmarks. Memory
    while writing is the dataset being read plus one shard."""
    from gestura.data.formats import load_dataset

    ds = load_dataset(data, format=format) if isinstance(data, (str, os.PathLike)) else data
    if len(ds) == 0:
        raise InputError(f"{getattr(ds, 'root', data)}: empty dataset (no sequences)")
    labels = list(ds.labels)
    meta = {"features": pipeline.to_dict(), "source": str(getattr(ds, "root", "")),
            "format": str(getattr(ds, "format", ""))}
    with StoreWriter(out_dir, pipeline.dim, labels, shard_frames, per_frame=True, meta=meta) as w:
        for seq in ds.sequences:
            if seq.n_frames == 0:
                raise InputError(f"{seq.source or seq.video_id}: sequence has no frames")
            feats, valid = pipeline.frame_features(seq)
            info = {"video_id": seq.video_id, "subject": seq.subject, "session": seq.session,
                    "episode": seq.episode, "source": seq.source}
            hand = seq.any_hand_present().astype(np.int8) + pipeline.mirrored_frames(seq).astype(np.int8)
            w.add(feats, None if seq.label is None else str(seq.label), str(seq.subject or seq.video_id),
                  valid=valid, frame_labels=seq.frame_labels, info=info, hand=hand)
    return Path(out_dir)


class StoreSequence:
    """The metadata of one store item, standing in for a `LandmarkSequence` where only ids and labels are read
    (`make_split`, `window_label`): `frame_labels` is read from the map on each access, never kept."""

    __slots__ = ("_store", "_i", "video_id", "subject", "session", "episode", "source", "label", "n_frames")

    def __init__(self, store: LandmarkStore, i: int) -> None:
        info = store.infos[i]
        self._store, self._i = store, int(i)
        self.video_id = str(info.get("video_id") or f"item{i:06d}")
        self.subject, self.session, self.episode = info.get("subject"), info.get("session"), info.get("episode")
        self.source = str(info.get("source") or "")
        t = int(store.targets[i])
        self.label = store.labels[t] if t >= 0 else None
        self.n_frames = int(store.lengths[i])

    @property
    def frame_labels(self) -> np.ndarray | None:
        ids = self._store.frame_label_ids(self._i)
        if ids is None:
            return None
        names = np.array(self._store.labels + [""], dtype=object)
        return names[ids].astype(str)


class StoreData:
    """A feature store opened for training: `sequences` (`StoreSequence`), `labels`, `pipeline`, `format`."""

    format = "store"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        from gestura.features.pipeline import FeaturePipeline

        self.root = Path(root)
        self.store = LandmarkStore(root)
        feats = self.store.meta.get("features")
        if not self.store.per_frame or not isinstance(feats, dict):
            raise SchemaError(f"{self.root / INDEX}: not a feature store (build it with `gestura data store`)")
        self.pipeline = FeaturePipeline.from_dict(feats)
        if self.pipeline.dim != self.store.dim:
            raise SchemaError(f"{self.root / INDEX}: dim {self.store.dim} != {self.pipeline.schema} dim "
                              f"{self.pipeline.dim}")
        self.sequences = [StoreSequence(self.store, i) for i in range(len(self.store))]
        self.labels = sorted(self.store.labels)

    def __len__(self) -> int:
        return len(self.sequences)


class StoreFeatureDataset:
    """Windows of a feature store, equal to `WindowDataset` over the same sequences with the store's pipeline:
    `(x (W, F) float32, mask (W,) bool, label index)`; frames `start:start + W` are copied out of the map and
    finalised by `pipeline.window_features`, nothing is cached, so memory does not grow with the data.

    `items` picks store items (one split); `labels`, `label_rule` and `max_per_class`/`seed` work as in
    `WindowDataset` (windows with a label outside `labels` are counted in `n_skipped`)."""

    augment = None

    def __init__(self, data: StoreData, labels: Sequence[str], window: int, stride: int = 1, *,
                 items: Sequence[int] | None = None, label_rule: str = "majority",
                 max_per_class: int | None = None, seed: int = 0) -> None:
        from gestura.data.dataset import window_label, window_starts

        self.store, self.pipeline = data.store, data.pipeline
        self.items = np.arange(len(self.store)) if items is None else np.asarray(items, dtype=np.int64)
        self.sequences = [data.sequences[int(i)] for i in self.items]
        self.labels = [str(x) for x in labels]
        self.window, self.stride = int(window), int(stride)
        index = {lb: i for i, lb in enumerate(self.labels)}
        seq_i: list[int] = []
        starts: list[int] = []
        targets: list[int] = []
        self.n_skipped = 0
        canonical = bool(getattr(data.pipeline, "canonical_hand", False))
        for si, seq in enumerate(self.sequences):
            fl = seq.frame_labels if seq.label is None else None
            probe = _Labels(seq.label, fl)
            hand = data.store.hand(int(self.items[si])) if canonical else None
            for st in window_starts(seq.n_frames, self.window, self.stride):
                lb = window_label(probe, st, self.window, label_rule)
                if lb is not None and hand is not None and \
                        mostly_left(hand[st : st + self.window] == 2, hand[st : st + self.window] > 0):
                    lb = mirror_label(lb)
                if lb is None or lb not in index:
                    self.n_skipped += 1
                    continue
                seq_i.append(si)
                starts.append(st)
                targets.append(index[lb])
        keep = np.arange(len(seq_i))
        if max_per_class:
            rng = np.random.default_rng(seed)
            by_class: dict[int, list[int]] = {}
            for j, t in enumerate(targets):
                by_class.setdefault(t, []).append(j)
            keep = np.array(sorted(j for ids in by_class.values()
                                   for j in (rng.choice(ids, max_per_class, replace=False)
                                             if len(ids) > max_per_class else ids)), dtype=np.int64)
        self._seq = np.asarray(seq_i, dtype=np.int64)[keep]
        self._start = np.asarray(starts, dtype=np.int64)[keep]
        self._target = np.asarray(targets, dtype=np.int64)[keep]

    def __len__(self) -> int:
        return len(self._seq)

    def set_epoch(self, epoch: int) -> None:
        """No augmentation on stored features; kept for the trainer's per-epoch hook."""

    @property
    def targets(self) -> np.ndarray:
        """`(N,)` int64 label index of every window."""
        return self._target.copy()

    @property
    def sequence_index(self) -> np.ndarray:
        """`(N,)` index into `sequences` of every window."""
        return self._seq.copy()

    def features(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Window `i` as (`(window, F)` float32, `(window,)` bool mask)."""
        from gestura.features.windows import window_batch

        item, st = int(self.items[self._seq[i]]), int(self._start[i])
        f = self.store.window(item, st, st + self.window)
        v = self.store.valid(item, st, st + self.window)
        x, real, _ = window_batch(self.pipeline, f, v, [len(v) - 1], self.window)
        return x[0], real[0]

    def __getitem__(self, i: int) -> tuple[Any, Any, int]:
        import torch

        x, m = self.features(i)
        return torch.from_numpy(x), torch.from_numpy(m), int(self._target[i])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All windows at once: `(N, window, F)`, `(N, window)`, `(N,)` (loads them all: baselines only)."""
        if not len(self):
            return (np.zeros((0, self.window, self.store.dim), np.float32), np.zeros((0, self.window), bool),
                    np.zeros(0, np.int64))
        xs, ms = zip(*(self.features(i) for i in range(len(self))))
        return np.stack(xs), np.stack(ms), self.targets


class _Labels:
    """The two attributes `window_label` reads, with frame labels read once per sequence."""

    __slots__ = ("label", "frame_labels")

    def __init__(self, label: str | None, frame_labels: np.ndarray | None) -> None:
        self.label, self.frame_labels = label, frame_labels
