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
