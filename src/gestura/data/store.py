"""A sharded, memory-mapped store of per-frame arrays, for datasets bigger than memory.

Layout of a store folder: `shard-00000.npy`, `shard-00001.npy`, ... each a `(frames, F)` float32 array that
holds many items back to back, and `index.json` (`{"version", "dim", "labels", "shards": [n_frames...],
"items": [[shard, start, length, label_id, group], ...]}`). Each shard and the index are written atomically; the
index is written last, so a folder without one is an unfinished store. `StoreWindowDataset` opens shards with
`np.load(mmap_mode="r")` and copies only the window it returns, so a training process holds one window per sample
in memory, whatever the store's size: the page cache, not the process, carries the data (pages read are
released from the mapping again, see `LandmarkStore.window`).
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gestura.errors import InputError, SchemaError
from gestura.io import atomic_write, read_json, write_json

STORE_VERSION = "gestura-store-v1"
INDEX = "index.json"


class StoreWriter:
    """Append `(T, F)` items; a shard is flushed to disk once it holds `shard_frames` frames.

    Peak memory is one shard, so a dataset of any size can be written from a generator. Use as a context
    manager (the index is written on a clean exit) or call `close()`.
    """

    def __init__(self, root: str | os.PathLike[str], dim: int, labels: Sequence[str],
                 shard_frames: int = 65_536) -> None:
        if dim < 1 or shard_frames < 1:
            raise InputError(f"{root}: store needs dim >= 1 and shard_frames >= 1")
        self.root, self.dim, self.labels = Path(root), int(dim), list(labels)
        self.shard_frames = int(shard_frames)
        self._label_id = {name: i for i, name in enumerate(self.labels)}
        self._buf: list[np.ndarray] = []
        self._buf_frames = 0
        self._shards: list[int] = []
        self._items: list[list[Any]] = []
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / INDEX).unlink(missing_ok=True)

    def add(self, x: np.ndarray, label: str, group: str = "") -> None:
        """Append one item: `x (T, F)`, its label (one of `labels`) and a group id (subject/session)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self.dim or x.shape[0] == 0:
            raise SchemaError(f"{self.root}: item must be (T>0, {self.dim}), got {x.shape}")
        if label not in self._label_id:
            raise SchemaError(f"{self.root}: label {label!r} is not one of {self.labels}")
        self._items.append([len(self._shards), self._buf_frames, int(x.shape[0]), self._label_id[label], group])
        self._buf.append(x)
        self._buf_frames += x.shape[0]
        if self._buf_frames >= self.shard_frames:
            self._flush()

    def _flush(self) -> None:
        if not self._buf:
            return
        with atomic_write(self.root / f"shard-{len(self._shards):05d}.npy") as f:
            np.save(f, np.concatenate(self._buf))
        self._shards.append(self._buf_frames)
        self._buf, self._buf_frames = [], 0

    def close(self) -> Path:
        """Flush the last shard and write `index.json`; returns the store folder."""
        self._flush()
        write_json(self.root / INDEX, {"version": STORE_VERSION, "dim": self.dim, "labels": self.labels,
                                       "shards": self._shards, "items": self._items})
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
        self._maps: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.lengths)

    def _map(self, shard: int) -> np.ndarray:
        if shard not in self._maps:
            path = self.root / f"shard-{shard:05d}.npy"
            try:
                arr = np.load(path, mmap_mode="r")
            except (OSError, ValueError) as err:
                raise InputError(f"{path}: cannot map the shard ({err})") from None
            if arr.ndim != 2 or arr.shape != (self.shard_frames[shard], self.dim):
                raise SchemaError(f"{path}: shape {arr.shape} does not match the index "
                                  f"({self.shard_frames[shard]}, {self.dim})")
            self._maps[shard] = arr
        return self._maps[shard]

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
        state["_maps"] = {}  # DataLoader workers re-open the maps instead of pickling them
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
