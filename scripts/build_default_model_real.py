"""Build the packaged presentation default from its recipe (`recipes/presentation-default.yaml`).

    nice .venv/bin/python scripts/build_default_model_real.py            # writes src/gestura/assets/default
    nice .venv/bin/python scripts/build_default_model_real.py --out DIR  # anywhere else

The recipe (`gestura.training.presentation`) trains on every session of ../shared/datasets/presentation-streams
(Apache-2.0; 2 people, 5 sessions, 7 gestures + rest), generated sessions of every gesture and one signer's real
signing as "no gesture" (asl-traduttore words, MIT). The same recipe, fold by fold with sessions or people held out,
is `scripts/spotting_experiments.py --recipe recipes/presentation-default.yaml --out runs/spotting/default.json`;
the model card quotes those numbers (this model has seen every recorded person, so it has none of its own).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "src" / "gestura" / "assets" / "default"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", type=Path, default=ROOT / "recipes" / "presentation-default.yaml")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--results", type=Path, default=ROOT / "runs" / "spotting" / "default.json",
                    help="the recipe's fold results (scripts/spotting_experiments.py) quoted in the model card")
    ap.add_argument("--card-only", action="store_true", help="rewrite the model card of --out from --results "
                    "(no training)")
    args = ap.parse_args(argv)
    if args.card_only:
        return write_card(args)
    import torch

    torch.set_num_threads(1)
    from gestura.data.formats import load_dataset
    from gestura.io import write_text
    from gestura.training.presentation import PresentationRecipe, train_recipe

    recipe = PresentationRecipe.from_yaml(args.recipe)
    sessions = list(load_dataset(SHARED / "presentation-streams").sequences)
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    if not results:
        print(f"{args.results}: not found; the model card will not quote fold results", file=sys.stderr)
    meta = {
        "data": {"real": "presentation-streams (../shared/datasets, Apache-2.0): joschua s1-s3, meric s1-s2",
                 "generated": f"{recipe.generated_people} generated people x 2 sessions (gestura.data.synthetic)",
                 "hard_negatives": f"{recipe.signing_windows} windows of real signing ({recipe.signing_data}, "
                                   f"signer {recipe.signing_by} only, MIT licence)"},
        "hard_negatives": {"path": recipe.signing_data, "recorded_by": recipe.signing_by,
                           "windows": recipe.signing_windows, "licence": "MIT"} if recipe.signing_windows else None,
        "licence": "Apache-2.0",
        "folds": fold_summary(results),
    }
    t0 = time.perf_counter()
    bundle = train_recipe(recipe, sessions, SHARED, meta=meta)
    bundle.save(args.out, card=False)
    write_text(args.out / "README.md", model_card(bundle, args.recipe, results))
    size = sum(p.stat().st_size for p in args.out.iterdir()) / 1e6
    print(f"wrote {args.out} ({size:.2f} MB, {len(bundle.labels)} labels, windows {bundle.meta['windows']}, "
          f"{time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


def write_card(args: argparse.Namespace) -> int:
    """Refresh an existing build's card (and its meta.folds) with the recipe's fold results."""
    from gestura.artifact import ModelBundle
    from gestura.io import write_text

    results = json.loads(args.results.read_text())
    bundle = ModelBundle.load(args.out)
    bundle.meta["folds"] = fold_summary(results)
    bundle.save(args.out, card=False)
    write_text(args.out / "README.md", model_card(bundle, args.recipe, results))
    print(f"rewrote {args.out / 'README.md'} from {args.results}", file=sys.stderr)
    return 0


def fold_summary(results: dict[str, Any]) -> dict[str, Any]:
    """fold -> the recipe's own decision settings' event-level numbers (the last setting of each fold)."""
    out = {}
    for fold, v in results.items():
        if not isinstance(v, dict) or "settings" not in v or fold == "settings":
            continue
        name = RECIPE_SETTING if RECIPE_SETTING in v["settings"] else list(v["settings"])[-1]
        s = v["settings"][name]
        out[fold] = {k: s[k] for k in ("hit_rate", "confusion_rate", "false_per_hour", "returns", "mirrored_hit_rate",
                                       "latency_p50_s", "latency_p90_s", "latency_from_end_p50_s",
                                       "latency_from_end_p90_s")}
        out[fold]["segment_given"] = v.get("segment_given")
    return out


RECIPE_SETTING = "recipe's decision"
"""The name the spotting experiments give the recipe's own decision settings."""


def model_card(bundle: Any, recipe_path: Path, results: dict[str, Any]) -> str:
    """The default's README: data and licence, held-out numbers of this exact recipe, how to adapt."""
    rows = []
    for fold, s in fold_summary(results).items():
        def f(x: Any, nd: int = 2) -> str:
            return "-" if x is None else f"{x:.{nd}f}"
        rows.append(f"| {fold} | {f(s['hit_rate'])} | {f(s['confusion_rate'])} | {f(s['false_per_hour'], 0)} | "
                    f"{s['returns']} | {f(s['mirrored_hit_rate'])} | {f(s['latency_from_end_p50_s'])} / "
                    f"{f(s['latency_from_end_p90_s'])} | {f(s['segment_given'])} |")
    table = ("| fold (train -> test) | prompts hit | confused | false / h rest | returns | mirrored session hit | "
             "latency from movement end p50 / p90 (s) | hit, segment given |\n|---|---|---|---|---|---|---|---|\n"
             + "\n".join(rows)) if rows else "(not recorded: run the experiment first)"
    w = bundle.meta["windows"]
    return f"""# gestura embedded default model

**Training data.** {w['real']} windows of every session of `presentation-streams` (two people, five sessions, about 18
minutes of continuous webcam landmarks, seven prompted gestures: swipes x4, fist, rotate_left/right, with the rests
between them as `unknown`; Apache-2.0), {w['generated']} windows of generated continuous sessions of all eleven
gestures (`gestura.data.synthetic`: zooming and pointing are not in the recordings), and {w['signing']} windows of
real signing ({bundle.meta['data']['hard_negatives']}) as "no gesture".

- Recipe: `{recipe_path.relative_to(ROOT) if recipe_path.is_relative_to(ROOT) else recipe_path}`
  (`gestura.training.presentation`); built by `python scripts/build_default_model_real.py`. Licence: Apache-2.0.
- Architecture `{bundle.meta['recipe']['model']}`, features `feature-schema-v1` in canonical (right-hand) space: a left
  hand is mirrored, shape and motion, and its label with it (docs/streams.md, "Handedness"). Window
  {bundle.window} frames at {bundle.resample_fps:g} Hz, labels aligned to the hand's own movement.
- Classes ({len(bundle.labels)}): {', '.join(bundle.labels)}. rotate_left/right map to no command.
- Decisions (`meta.decision`): fire when the smoothed probability holds above the threshold, only if the hand
  moved (a raised, still hand fires nothing), and never on a gesture's return: the hand's path is watched until
  it has come back and rested (docs/runtime.md).

**What to expect.** This model has seen both recorded people, so it has no held-out number of its own. The same
recipe with one session, or one person, held out and scored event by event on what it did not see
(`scripts/spotting_experiments.py --recipe {recipe_path.name}`, docs/results.md "Gesture spotting"):

{table}

"Mirrored session hit": the held-out session mirrored (a left-handed presenter): the same by construction.
"Segment given": the classifier alone when the gesture's segment is handed to it. Far from the targets on a person
it never saw (>= 0.80 hit, <= 30 false commands per hour of rest): **enrol yourself** (a minute of prompted takes):

    gestura enroll --source webcam --out ~/.gestura/profiles/me     # then: gestura present me
"""


if __name__ == "__main__":
    sys.exit(main())
