"""Enrolment adaptation time for docs/benchmarks.md `## Enrolment`: what `gestura enroll` spends between the last
take and a personal model, per method, on the same takes, interleaved.

    nice .venv/bin/python bench/bench_enrol.py [--model DIR] [--k 5] [--repeats 3] [--out runs/bench_enrol.json]

The takes are the first K prompts per gesture of a real recording (presentation-streams meric_s2, the gestures
of the default command map that it holds), cut the way the guided flow cuts them; each method runs through the
command's own fit (`guided_session.make_fit`: windows cut by the model's recipe, generated replay, then the
adaptation). Methods run in rotating order in each repeat so they share the machine's load; the table gives the
median seconds, the ratio to `finetune` (the method `enroll` uses), and the load average during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="default")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench_enrol.json")
    args = ap.parse_args(argv)
    import numpy as np
    import torch

    from gestura.artifact import ModelBundle
    from gestura.runtime.recognizer import DEFAULT_ARTIFACT
    from gestura.training.guided import Slot, _cut, _labelled, frames_of, recording_prompts
    from gestura.training.guided_session import ADAPT_METHODS, enrol_classes, load_recording, make_fit

    torch.set_num_threads(args.threads)
    bundle = ModelBundle.load(DEFAULT_ARTIFACT if args.model == "default" else args.model)
    seq = load_recording(SHARED / "presentation-streams" / "meric_s2.npz")
    frames = list(frames_of(seq))
    classes = set(enrol_classes(bundle.labels))
    seen: dict[str, int] = {}
    takes = []
    for a, b, lb in recording_prompts(seq):
        if lb in classes and seen.get(lb, 0) < args.k:
            seen[lb] = seen.get(lb, 0) + 1
            slot = Slot(lb, a - 1.0, a, b)
            takes.append(_labelled(_cut(frames, a - 1.0, b + 0.5), slot))
    times: dict[str, list[float]] = {m: [] for m in ADAPT_METHODS}
    loads = []
    for r in range(args.repeats):
        order = list(ADAPT_METHODS[r % 3:]) + list(ADAPT_METHODS[:r % 3])
        for method in order:
            fit = make_fit(bundle, method, seed=r)
            t0 = time.perf_counter()
            fit(takes)
            times[method].append(time.perf_counter() - t0)
            loads.append(os.getloadavg()[0])
            print(f"repeat {r} {method}: {times[method][-1]:.1f} s (load {loads[-1]:.1f})", file=sys.stderr,
                  flush=True)
    base = statistics.median(times["finetune"])
    res = {"takes": len(takes), "gestures": sorted(seen), "k": args.k, "threads": args.threads,
           "load_average": [round(min(loads), 1), round(max(loads), 1)],
           "methods": {m: {"median_s": round(statistics.median(v), 2), "runs_s": [round(x, 2) for x in v],
                           "ratio_to_finetune": round(statistics.median(v) / base, 3)} for m, v in times.items()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1))
    print("| method | median s | runs s | ratio to finetune |\n|---|---|---|---|")
    for m, v in res["methods"].items():
        print(f"| {m} | {v['median_s']} | {', '.join(map(str, v['runs_s']))} | {v['ratio_to_finetune']} |")
    print(f"\n{len(takes)} takes of {len(seen)} gestures, K = {args.k}, {args.threads} torch threads, load average "
          f"{res['load_average'][0]}-{res['load_average'][1]}; numpy {np.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
