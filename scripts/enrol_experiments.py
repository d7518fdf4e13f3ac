"""Enrolment across people on ../shared/datasets/presentation-streams: K takes of a person the model never saw.

    nice .venv/bin/python scripts/enrol_experiments.py --models runs/spotting/default --out runs/enrol/default.json
    nice .venv/bin/python scripts/enrol_experiments.py --table runs/enrol/default.json

For each leave-one-person-out model (trained by `scripts/spotting_experiments.py` on one person: its fold folder
holds `model/`), the first K prompts per gesture of the test person's FIRST session (with the rest after each) are
the enrolment takes; the personal model is scored on that person's OTHER sessions through the one replay
(`gestura.runtime.replay.replay`, what `gestura live` runs) with the model's own decision settings. meric's first
session is left-handed and his second right-handed, so that direction also checks that a personal model made with
one hand works with the other. Methods: `finetune` (the whole network, `enroll.adapt`), `probe` and `prototype` (a
new head on the frozen embedding, `training.fewshot`). Replay: up to 40 windows per class of the training person.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
FOLDS = {
    "joschua -> meric": ("joschua____meric", ["joschua_s1", "joschua_s2", "joschua_s3"], "meric_s1", ["meric_s2"]),
    "meric -> joschua": ("meric____joschua", ["meric_s1", "meric_s2"], "joschua_s1", ["joschua_s2", "joschua_s3"]),
}


def score(bundle: Any, tests: list[Any]) -> dict[str, Any]:
    """Event-level score of `bundle` with its own decision settings on `tests` (pooled)."""
    from gestura.evaluation.events import merge_scores, score_playback
    from gestura.runtime.engines import TorchEngine
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions
    from gestura.runtime.replay import replay

    rec = Recognizer(TorchEngine(bundle), RecognizerOptions())
    pbs = [replay(rec, s) for s in tests]
    merged = merge_scores(score_playback(pb) for pb in pbs).to_dict()
    keep = ("hit_rate", "confusion_rate", "false_per_hour", "returns", "latency_p50_s", "latency_p90_s",
            "n_prompts", "per_class")
    return {k: merged[k] for k in keep if k in merged}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=Path, default=ROOT / "runs" / "spotting" / "default")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "enrol" / "default.json")
    ap.add_argument("--ks", default="0,1,3,5,10")
    ap.add_argument("--methods", default="prototype,probe,finetune")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--table", type=Path, help="print the markdown table of this results JSON and exit")
    args = ap.parse_args(argv)
    if args.table:
        print(markdown_table(json.loads(args.table.read_text())))
        return 0
    import torch

    from gestura.artifact import ModelBundle
    from gestura.data.formats import load_dataset
    from gestura.io import write_json
    from gestura.landmarks.smoothing import SmoothingConfig
    from gestura.runtime.recognizer import smooth_sequence
    from gestura.training.enroll import adapt, replay_set, takes_from_stream
    from gestura.training.fewshot import fewshot_adapt
    from gestura.training.presentation import PresentationRecipe, recipe_windows

    torch.set_num_threads(1)
    seqs = {s.video_id: s for s in load_dataset(DATASETS / "presentation-streams").sequences}
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.out.is_file() else {}
    for fold, (folder, train_ids, first_id, test_ids) in FOLDS.items():
        base = ModelBundle.load(args.models / folder / "model")
        recipe = PresentationRecipe.model_validate(base.meta["recipe"])
        wcfg = recipe.window_config()
        train_windows, _ = recipe_windows(recipe.model_copy(update={"signing_windows": 0, "clips_people": {}}),
                                          [seqs[i] for i in train_ids])
        first = smooth_sequence(seqs[first_id], SmoothingConfig())
        tests = [seqs[i] for i in test_ids]
        for seed in (int(s) for s in args.seeds.split(",")):
            for k in (int(x) for x in args.ks.split(",")):
                for method in (args.methods.split(",") if k else ["none"]):
                    key = f"{fold} | seed {seed} | K={k} | {method}"
                    if key in results:
                        continue
                    rng = np.random.default_rng([seed, k])
                    if k == 0:
                        bundle, secs, n = base, 0.0, 0
                    else:
                        takes, _ = takes_from_stream(first, k, wcfg, rng)
                        replay = replay_set(train_windows, 40, rng)
                        n = len(takes)
                        if method == "finetune":
                            res = adapt(base, takes, replay=replay, seed=seed)
                            bundle, secs = res.bundle, res.seconds
                        else:
                            bundle, secs = fewshot_adapt(base, takes, replay=replay, method=method)
                    row = score(bundle, tests)
                    row.update(adapt_seconds=round(secs, 2), take_windows=n)
                    results[key] = row
                    print(f"{key}: hit {row['hit_rate']:.3f} confused {row['confusion_rate']:.3f} "
                          f"false/h {row['false_per_hour']:.0f} returns {row.get('returns')} adapt {secs:.1f}s",
                          file=sys.stderr, flush=True)
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    write_json(args.out, results)
    print(markdown_table(results))
    return 0


def markdown_table(results: dict[str, Any]) -> str:
    rows = ["| fold | seed | K | method | hit | confused | false/h rest | returns | latency p50/p90 s | adapt s |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for key, r in results.items():
        fold, seed, k, method = (p.strip() for p in key.split("|"))
        rows.append(f"| {fold} | {seed.split()[-1]} | {k[2:]} | {method} | {r['hit_rate']:.2f} | "
                    f"{r['confusion_rate']:.2f} | {r['false_per_hour']:.0f} | {r.get('returns', '-')} | "
                    f"{r.get('latency_p50_s')}/{r.get('latency_p90_s')} | {r['adapt_seconds']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
