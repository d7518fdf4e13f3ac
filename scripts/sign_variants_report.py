"""Graph runs of `scripts/sign_protocol.py` (one or more `results.json`) -> the variants table and curve plot.

    PYTHONPATH=src python scripts/sign_variants_report.py runs/s2-graph/seed*/results.json \
        --table runs/s2-graph/variants.md --plot docs/img/sign-variants-curves.png

Runs split over several `--out` folders (one process per seed, say) are merged; the table is
`sign_protocol.variants_summary` (each variant against `sca_stgcn/twin`), the plot the validation accuracy per
epoch of every graph run, mean over seeds with the seeds' range shaded, one panel per held-out signer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sign_protocol import GRAPH, variants_summary  # noqa: E402


def load_runs(paths: list[Path]) -> list[dict[str, Any]]:
    """The graph runs of every `results.json` in `paths` (a run present twice is kept once)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in paths:
        if not p.is_file():
            raise SystemExit(f"{p}: no such results file")
        for r in json.loads(p.read_text())["runs"]:
            if r["model"].split("/")[0] in GRAPH:
                seen[(r["data"], r["protocol"], r["features"], r["model"], r["fold"], r["seed"])] = r
    return list(seen.values())


def plot_curves(runs: list[dict[str, Any]], path: Path) -> None:
    """Validation accuracy per epoch, one line per graph run (mean over seeds, range shaded), one panel per fold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folds = sorted({r["fold"] for r in runs})
    models = sorted({r["model"] for r in runs}, key=lambda k: (k != "stgcn", k != "sca_stgcn/twin", k))
    fig, axes = plt.subplots(1, len(folds), figsize=(7.5 * len(folds), 5.2), squeeze=False)
    for ax, fold in zip(axes[0], folds):
        for i, model in enumerate(models):
            curves = [[h.get("val_accuracy", np.nan) for h in r["history"]] for r in runs
                      if r["fold"] == fold and r["model"] == model]
            if not curves:
                continue
            n = min(len(c) for c in curves)
            a = np.array([c[:n] for c in curves], float)
            ep = np.arange(1, n + 1)
            style = {"color": "black", "lw": 2.4} if model == "sca_stgcn/twin" else \
                {"color": "grey", "ls": "--"} if model == "stgcn" else {"color": f"C{i}"}
            ax.plot(ep, a.mean(0), marker="o", ms=3, label=f"{model} ({len(curves)} seeds)", **style)
            if len(curves) > 1:
                ax.fill_between(ep, a.min(0), a.max(0), alpha=0.12, color=style["color"])
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation accuracy (sessions of the training signers)")
        ax.set_title(f"held-out signer: {fold} (curves: validation, not the held-out signer)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", type=Path, help="results.json files of sign_protocol.py")
    ap.add_argument("--table", type=Path, required=True, help="where to write the markdown table")
    ap.add_argument("--plot", type=Path, help="where to write the curve plot (.png)")
    a = ap.parse_args(argv)
    runs = load_runs(a.results)
    if not runs:
        raise SystemExit(f"{', '.join(map(str, a.results))}: no graph runs (stgcn, sca_stgcn/*) in these results")
    a.table.parent.mkdir(parents=True, exist_ok=True)
    a.table.write_text(variants_summary(runs))
    if a.plot:
        plot_curves(runs, a.plot)
    print(a.table.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
