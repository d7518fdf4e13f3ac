"""Nested training subsets of a landmark-CNN teacher dataset, for the learning curve (docs/landmark_cnn.md).

    .venv/bin/python scripts/cnn_subsets.py --data runs/lmk/data     # writes runs/lmk/data_half, data_nophotos

Each subset is a folder with its own `manifest.csv` and a link to the same `crops/`: the test and validation groups
and every non-photo source stay; of the training `hand-images` photos, `data_half` keeps half of the sign-digits
groups (people) and half of the phone photos of each remaining photo group, `data_nophotos` none. Drawn with fixed
seeds, so the subsets are the same on every run.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
from pathlib import Path

from gestura.errors import InputError
from gestura.io import write_text
from gestura.landmarks.cnn.teacher import read_manifest

TEST = ("mediapipe-samples__open_hand_video", "msl150__hoy_001", "sign-digits__p003", "sign-digits__p012",
        "sign-digits__p021", "gestures-roboflow__20230313")
VAL = ("msl150__yo_001", "sign-digits__p007", "sign-digits__p016", "gestures-roboflow__20230314")


def write_subset(data: Path, name: str, rows: list[dict[str, str]], keep: set[str]) -> Path:
    """Write `<data>_<name>/manifest.csv` holding the rows whose source_id is in `keep`, beside a link to crops/."""
    out = data.parent / f"{data.name}_{name}"
    out.mkdir(exist_ok=True)
    if not (out / "crops").exists():
        os.symlink(os.path.abspath(data / "crops"), out / "crops")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(r for r in rows if r["source_id"] in keep)
    write_text(out / "manifest.csv", buf.getvalue())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="a `gestura landmarks dataset` folder")
    args = ap.parse_args(argv)
    try:
        rows = read_manifest(args.data)
    except InputError as err:
        print(err, file=sys.stderr)
        return 2
    fixed = set(TEST) | set(VAL)
    base = {r["source_id"] for r in rows if r["group"] in fixed or "hand-images" not in r["path"]}
    photo_groups = sorted({r["group"] for r in rows if r["source_id"] not in base})
    people = [g for g in photo_groups if g.startswith("sign-digits")]
    half_people = set(random.Random(0).sample(people, len(people) // 2))
    half = set(base) | {r["source_id"] for r in rows if r["group"] in half_people}
    for g in photo_groups:
        if g not in people:
            ids = [r["source_id"] for r in rows if r["group"] == g]
            half |= set(random.Random(1).sample(ids, len(ids) // 2))
    for name, keep in (("half", half), ("nophotos", base)):
        out = write_subset(args.data, name, rows, keep)
        hands = sum(int(r["n_hands"]) for r in rows if r["source_id"] in keep and r["group"] not in fixed)
        print(f"{out}: {len(keep)} sources, {hands} training hand crops")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
