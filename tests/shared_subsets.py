"""Small copies of the shared datasets for tests that need real data but not all of it."""

from __future__ import annotations

from pathlib import Path


def seed003_subset(src: Path, dst: Path, n: int) -> Path:
    """Symlinks to the first `n` sequences of each label of a seed-003 folder, with its groundtruth and meta."""
    dst.mkdir()
    keep: list[str] = []
    seen: dict[str, int] = {}
    for ln in (src / "groundtruth.txt").read_text().splitlines():
        vid, _, label = ln.split(maxsplit=2)
        if seen.setdefault(label, 0) < n:
            seen[label] += 1
            keep.append(ln)
            (dst / f"{vid}.npz").symlink_to(src / f"{vid}.npz")
    (dst / "groundtruth.txt").write_text("\n".join(keep) + "\n")
    (dst / "meta.csv").symlink_to(src / "meta.csv")
    return dst


def short_session(src_npz: Path, dst: Path, classes: list[str], per_class: int,
                  rename: dict[str, str] | None = None, video_id: str = "short") -> Path:
    """A shorter real recording: the first `per_class` prompts of each of `classes` (with the rest before each)
    from a frame-labelled shared stream, joined in time, written as `<dst>/<video_id>.npz` + groundtruth.txt +
    meta.csv (classes renamed by `rename`, e.g. to play a person's own gesture). Returns the .npz path."""
    import numpy as np

    from gestura.data.formats import load_dataset
    from gestura.data.streams import stream_prompts
    from gestura.landmarks.sequence import LandmarkSequence

    seq = next(s for s in load_dataset(src_npz.parent).sequences if s.video_id == src_npz.stem)
    prompts = stream_prompts(seq)
    starts = sorted(p[0] for p in prompts)
    chunks = []
    for c in classes:
        for a, _b, _lb in [p for p in prompts if p[2] == c][:per_class]:
            nxt = next((s for s in starts if s > a), float(seq.t[-1]))
            i, j = np.searchsorted(seq.t, [a - 1.2, nxt - 0.1])
            chunks.append(seq.slice(int(i), int(j)))
    dt = float(np.median(np.diff(seq.t)))
    t, offset = [], 0.0
    for ch in chunks:
        t.append(ch.t - ch.t[0] + offset)
        offset = t[-1][-1] + dt
    names = list(chunks[0].streams)
    labels = np.concatenate([ch.frame_labels for ch in chunks]).astype(object)
    for old, new in (rename or {}).items():
        labels[labels == old] = new
    out = LandmarkSequence.from_arrays({n: np.concatenate([ch.streams[n] for ch in chunks]) for n in names},
                                       fps=1.0 / dt, t=np.concatenate(t),
                                       present={n: np.concatenate([ch.present[n] for ch in chunks]) for n in names})
    dst.mkdir(parents=True, exist_ok=True)
    path = dst / f"{video_id}.npz"
    out.to_npz(path)
    lines = [f"{video_id} {k} {lb}" for k, lb in enumerate(labels) if k == 0 or labels[k - 1] != lb]
    (dst / "groundtruth.txt").write_text("\n".join(lines) + "\n")
    (dst / "meta.csv").write_text("video_id,label,recorded_by,session,n_frames,fps,hand,hand_present_rate\n"
                                  f"{video_id},mixed,tester,tester-1,{len(labels)},{1.0 / dt:.1f},right,1.0\n")
    return path
