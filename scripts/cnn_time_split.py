"""Landmark CNN on the SAME videos, later frames: the personal-model case (your camera, your hands), not new people.

    .venv/bin/python scripts/cnn_time_split.py --data /tmp/cnn_teacher --out /tmp/cnn_teacher_time [--frac 0.7]

Writes a derived teacher dataset in which every video's crops are split in time: the first `--frac` of its frames
become group `<video>__early`, the rest `<video>__late` (photos stay as they are). Train on the early groups,
pick the epoch on one video's late part, report on the other late parts. Frames right at the cut are near
duplicates, so this measures what retraining on your own recordings buys, never accuracy on new people.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--frac", type=float, default=0.7)
    args = ap.parse_args(argv)

    from gestura.io import write_npz, write_text
    from gestura.landmarks.cnn.teacher import MANIFEST_COLUMNS, read_crops, read_manifest

    (args.out / "crops").mkdir(parents=True, exist_ok=True)
    rows = []
    for r in read_manifest(args.data):
        d = read_crops(args.data, r["source_id"])
        if not r["path"].endswith(".mp4") or len(d["frame"]) == 0:
            write_npz(args.out / "crops" / f"{r['source_id']}.npz", d, compressed=False)
            rows.append(r)
            continue
        cut = np.quantile(d["frame"], args.frac)
        for part, keep in (("early", d["frame"] <= cut), ("late", d["frame"] > cut)):
            sid = f"{r['source_id']}__{part}"
            write_npz(args.out / "crops" / f"{sid}.npz", {k: v[keep] for k, v in d.items()}, compressed=False)
            rows.append({**r, "source_id": sid, "group": sid, "n_hands": int((keep & ~d["background"]).sum()),
                         "n_background": int((keep & d["background"]).sum())})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    write_text(args.out / "manifest.csv", buf.getvalue())
    print(f"{args.out}: {len(rows)} sources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
