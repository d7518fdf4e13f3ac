"""Build the packaged presentation default from its recipe: a thin wrapper of `build_from_recipe`.

    nice .venv/bin/python scripts/build_default_model_real.py            # writes src/gestura/assets/default
    nice .venv/bin/python scripts/build_default_model_real.py --out DIR  # anywhere else
    nice .venv/bin/python scripts/build_default_model_real.py --card-only  # refresh the card from fold results

The same as `gestura train --recipe recipes/presentation-default.yaml --out src/gestura/assets/default`. The
recipe (`gestura.training.presentation`) trains on every session of ../shared/datasets/presentation-streams
(Apache-2.0; 2 people, 5 sessions, 7 gestures + rest), the per-take clips of presentation-clips (three people,
Apache-2.0), generated sessions of every gesture and one signer's real signing as "no gesture" (asl-traduttore
words, MIT). The same recipe, fold by fold with sessions or people held out, is `scripts/spotting_experiments.py
--recipe recipes/presentation-default.yaml --out runs/spotting/clips_all.json`;
the model card quotes those numbers (this model has seen every recorded person, so it has none of its own).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", type=Path, default=ROOT / "recipes" / "presentation-default.yaml")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "gestura" / "assets" / "default")
    ap.add_argument("--card-only", action="store_true", help="rewrite the model card of --out from the recipe's "
                    "fold results (no training)")
    args = ap.parse_args(argv)
    import torch

    from gestura.training.presentation import PresentationRecipe, build_from_recipe, refresh_card

    torch.set_num_threads(1)
    if args.card_only:
        results = PresentationRecipe.from_yaml(args.recipe).fold_results
        if results is None:
            ap.error(f"{args.recipe}: names no fold_results")
        refresh_card(args.recipe, args.out, args.recipe.resolve().parent / results)
        print(f"rewrote {args.out / 'README.md'}", file=sys.stderr)
        return 0
    build_from_recipe(args.recipe, args.out, progress=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
