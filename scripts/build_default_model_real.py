"""Build the presentation-control default from the REAL streams plus generated data for the classes they lack.

    nice .venv/bin/python scripts/build_default_model_real.py --out runs/default-real [--model lstm] [--epochs 12]

Data: every session of ../shared/datasets/presentation-streams (Apache-2.0; 2 people, 5 sessions, 7 gestures +
rest), windows labelled by `gestura.data.streams` (1 s at 30 Hz, 0.3 s reaction shift + overlap rule, hard
negatives from the return movement), plus `gestura.data.synthetic` clips for zooming_in_full_hand,
zooming_out_full_hand, point_one and point_two (both swipe styles, both hands). Labels: the ten presentation
classes + rotate_left/right. The artifact goes to `--out`; whether it replaces `src/gestura/assets/default/` is the
runtime owner's call (see the model card and docs/results.md "Presentation streams" for its held-out numbers, which
come from the leave-one-person-out runs, not from this model: it has seen both people).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "presentation-streams"
GENERATED = ("zooming_in_full_hand", "zooming_out_full_hand", "point_one", "point_two")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--model", default="lstm")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", type=Path, default=ROOT / "runs" / "issue9",
                    help="folder of the leave-one-person-out result JSONs quoted in the model card")
    args = ap.parse_args(argv)

    import torch

    from gestura.data.formats import load_dataset
    from gestura.data.streams import StreamWindowConfig, cut_dataset_windows
    from gestura.data.synthetic import make_dataset
    from gestura.features.augment import augment_sequence
    from gestura.training.enroll import fit_clips

    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    wcfg = StreamWindowConfig(stride_s=0.25, unknown_per_positive=1.5)
    from gestura.landmarks.smoothing import SmoothingConfig
    from gestura.runtime.recognizer import smooth_sequence

    streams = [smooth_sequence(s, SmoothingConfig()) for s in load_dataset(args.data).sequences]  # as the runtime
    real = cut_dataset_windows(streams, wcfg, rng)
    per_class = max(40, int(np.median(np.unique([c.label for c in real], return_counts=True)[1])) // 6)
    gen = [s for s in make_dataset(n_subjects=6, n_per_class=per_class, classes=GENERATED, seed=args.seed,
                                   fps=wcfg.rate_hz).sequences]
    clips = real + gen
    labels = sorted({str(c.label) for c in clips})
    lopo = {}
    for f in sorted(args.results.glob(f"{args.model}.json")):
        d = json.loads(f.read_text())
        lopo = {k: {n: {m: v[n][m] for m in ("hit_rate", "confusion_rate", "false_per_hour")}
                    for n in ("default_thresholds", "tuned_on_train")}
                for k, v in d.items() if isinstance(v, dict) and "default_thresholds" in v}
    meta = {
        "data": {"real": "presentation-streams (../shared/datasets, Apache-2.0): joschua s1-s3, meric s1-s2",
                 "generated": f"gestura.data.synthetic for {', '.join(GENERATED)} (6 subjects x {per_class})",
                 "windows": wcfg.to_dict(), "n_real_windows": len(real), "n_generated_clips": len(gen)},
        "licence": "Apache-2.0",
        "leave_one_person_out": lopo or "see docs/results.md, section Presentation streams",
        "note": "trained on both recorded people; held-out numbers come from the leave-one-person-out runs",
    }
    t0 = time.perf_counter()
    res = fit_clips(clips, labels, model=args.model, epochs=args.epochs, window=wcfg.window_frames,
                    resample_fps=wcfg.rate_hz, seed=args.seed, augment=augment_sequence, meta=meta)
    res.bundle.meta["training"] = {"seconds": round(res.seconds, 1), "epochs": args.epochs, "seed": args.seed}
    res.bundle.save(args.out)
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    print(f"wrote {args.out} ({size:.2f} MB, {len(labels)} labels, {len(clips)} windows, "
          f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
