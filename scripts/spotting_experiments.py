"""Gesture spotting on ../shared/datasets/presentation-streams: within-person and cross-person event-level tables.

    nice .venv/bin/python scripts/spotting_experiments.py --recipe recipes/presentation-default.yaml \
        --out runs/spotting/clips_all.json
    nice .venv/bin/python scripts/spotting_experiments.py --set align=prompt --set generated_people=0 \
        --set signing_windows=0 --out runs/spotting/real_only_prompt_labels.json
    nice .venv/bin/python scripts/spotting_experiments.py --table runs/spotting

Folds: leave-one-session-out within each person (joschua 3 folds, meric 2 folds: meric's first session is
left-handed, his second right-handed) and leave-one-person-out (joschua <-> meric). Each fold trains the recipe on
the training sessions only, plays every test session through the runtime (`gestura.runtime.replay.replay`, equal to
`gestura live` frame by frame) and replays the recorded probabilities and motion rows through several decision
settings fixed in advance (no setting is tuned on a test session). Every test session is also played mirrored
(`mirror_sequence`: a left-handed presenter) and scored against its mirrored prompts. "Segment given" is the
classifier's hit rate when the prompt's segment is handed to it (the mean probabilities of the windows ending
0.8 s after the prompt start to 0.6 s after its end, background excluded): what the spotting itself loses.
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
DATA = ROOT.parent / "shared" / "datasets" / "presentation-streams"

ALL_SESSIONS = ("joschua-1", "joschua-2", "joschua-3", "meric-1", "meric-2")
WITHIN = {
    "joschua: s2+s3 -> s1": (["joschua-2", "joschua-3"], ["joschua-1"]),
    "joschua: s1+s3 -> s2": (["joschua-1", "joschua-3"], ["joschua-2"]),
    "joschua: s1+s2 -> s3": (["joschua-1", "joschua-2"], ["joschua-3"]),
    "meric: s2 (right) -> s1 (left)": (["meric-2"], ["meric-1"]),
    "meric: s1 (left) -> s2 (right)": (["meric-1"], ["meric-2"]),
}
SESSIONS = {f"{s} held out (all other sessions)": ([o for o in ALL_SESSIONS if o != s], [s])
            for s in ("joschua-1", "joschua-2", "joschua-3", "meric-1", "meric-2")}
ACROSS = {
    "joschua -> meric": (["joschua-1", "joschua-2", "joschua-3"], ["meric-1", "meric-2"]),
    "meric -> joschua": (["meric-1", "meric-2"], ["joschua-1", "joschua-2", "joschua-3"]),
}
SETTINGS: dict[str, dict[str, Any]] = {
    "window + threshold (before)": {},
    "+ motion gate": {"min_motion": 0.5},
    "+ motion gate + return watch": {"min_motion": 0.5, "return_block_s": 3.0, "opposite_block_s": 0.0},
    "+ motion gate + return watch, threshold 0.7": {"min_motion": 0.5, "return_block_s": 3.0,
                                                    "opposite_block_s": 0.0, "threshold": 0.7, "rearm": 0.4},
    "+ motion gate + return watch, threshold 0.6": {"min_motion": 0.5, "return_block_s": 3.0,
                                                    "opposite_block_s": 0.0, "threshold": 0.6, "rearm": 0.4},
    "segment spotting (motion end)": {"trigger": "motion_end", "min_motion": 0.5, "return_block_s": 3.0,
                                      "opposite_block_s": 0.0, "rest_speed": 1.0},
    "segment spotting, threshold 0.6": {"trigger": "motion_end", "min_motion": 0.5, "return_block_s": 3.0,
                                        "opposite_block_s": 0.0, "rest_speed": 1.0, "threshold": 0.6,
                                        "rearm": 0.3},
    "segment spotting, rest 0.7, delay 0.2": {"trigger": "motion_end", "min_motion": 0.5, "return_block_s": 3.0,
                                              "opposite_block_s": 0.0, "rest_speed": 0.7, "decide_delay_s": 0.2,
                                              "threshold": 0.6, "rearm": 0.3},
}
"""Decision settings compared on the same playbacks (DecisionConfig overrides). `min_motion` 0.5 palm lengths/s:
a still hand peaks at 0.1-0.4 (median of the late rest phases), every prompted gesture at 0.7 or more."""


RECIPE_SETTING = "recipe's decision"
"""The recipe's own decision settings (its model's meta.decision), scored beside SETTINGS."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--table", type=Path, help="print the markdown table of every JSON in this folder (a JSON "
                    "file: its per-class table, spotting against the given segment)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--recipe", type=Path, help="recipe YAML (default: PresentationRecipe's defaults)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a recipe field, e.g. --set align=prompt --set generated_people=0")
    ap.add_argument("--folds", choices=["within", "sessions", "across", "all"], default="all",
                    help="within: the person's other sessions only; sessions: every other session (both people); "
                         "across: the other person; all: within + across")
    ap.add_argument("--only", default="", help="run only the folds whose name contains this text (alternatives "
                    "separated by |)")
    ap.add_argument("--figures", type=Path, default=None, metavar="DIR",
                    help="with --out: draw each fold's first test session as a timeline (recipe decision) and "
                         "write a confusion table per fold (prompt class x what fired) into DIR; no training")
    ap.add_argument("--rescore", action="store_true", help="re-score the playbacks saved beside --out with the "
                    "current SETTINGS (no training)")
    args = ap.parse_args(argv)
    if args.table:
        print(markdown_table(args.table) if args.table.is_dir() else per_class_table(args.table))
        return 0
    if args.out is None:
        ap.error("--out is required unless --table")
    import torch

    torch.set_num_threads(1)
    from gestura.data.formats import load_dataset

    if args.rescore:
        return rescore(args.out, load_recipe(args) if args.recipe else None)
    if args.figures is not None:
        return figures(args.out, args.figures, args.only)
    seqs = list(load_dataset(args.data).sequences)
    by_session = {s.session: s for s in seqs}
    folds = {**(WITHIN if args.folds in ("within", "all") else {}),
             **(SESSIONS if args.folds == "sessions" else {}),
             **(ACROSS if args.folds in ("across", "all") else {})}
    folds = {k: v for k, v in folds.items() if any(o in k for o in args.only.split("|"))}
    results: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "settings": SETTINGS}
    for name, (train_s, test_s) in folds.items():
        t0 = time.perf_counter()
        held_out = sorted({str(s.subject) for s in seqs if s.session in test_s})
        bundle, n_windows = train_fold([by_session[s] for s in train_s], args, held_out)
        results[name] = evaluate_fold(bundle, [s for s in seqs if s.session in test_s],
                                      args.out.with_suffix("") / slug(name))
        results[name]["train_windows"] = n_windows
        results[name]["seconds"] = round(time.perf_counter() - t0, 1)
        sets = results[name]["settings"]
        best = sets.get(RECIPE_SETTING) or sets[list(SETTINGS)[-1]]
        print(f"{name}: hit {best['hit_rate']:.2f} conf {best['confusion_rate']:.2f} "
              f"false/h {best['false_per_hour']:.0f} returns {best['returns']} | mirrored hit "
              f"{best['mirrored_hit_rate']:.2f} | segment given {results[name]['segment_given']:.2f} "
              f"({results[name]['seconds']:.0f} s)", file=sys.stderr)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        from gestura.io import write_json

        write_json(args.out, results)
    return 0


def load_recipe(args: argparse.Namespace) -> Any:
    """The recipe file with `--set key=value` overrides (values read as YAML)."""
    import yaml

    from gestura.training.presentation import PresentationRecipe

    recipe = PresentationRecipe.from_yaml(args.recipe) if args.recipe else PresentationRecipe()
    over = {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    return PresentationRecipe.model_validate({**recipe.model_dump(), **over})


def train_fold(train: list[Any], args: argparse.Namespace, held_out: list[str]) -> tuple[Any, int]:
    """The recipe (`gestura.training.presentation`) on the training sessions only; clips of the `held_out`
    people are left out too."""
    from gestura.training.presentation import train_recipe

    bundle = train_recipe(load_recipe(args), train, ROOT.parent / "shared" / "datasets",
                          exclude_people=held_out)
    return bundle, int(sum(bundle.meta["windows"].values()))


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_")


def evaluate_fold(bundle: Any, tests: list[Any], folder: Path) -> dict[str, Any]:
    """Event-level scores of every decision setting on the test sessions and their mirror images; the fold's
    model and playbacks are kept in `folder` for re-scoring."""
    import pickle

    from gestura.runtime.replay import replay
    from gestura.features.handedness import mirror_sequence
    from gestura.runtime.engines import TorchEngine
    from gestura.runtime.recognizer import Recognizer, RecognizerOptions

    rec = Recognizer(TorchEngine(bundle), RecognizerOptions())
    pbs = [replay(rec, s) for s in tests]
    mirrored = [replay(rec, mirror_sequence(s)) for s in tests]
    folder.mkdir(parents=True, exist_ok=True)
    bundle.save(folder / "model", card=False)
    with open(folder / "playbacks.pkl", "wb") as f:  # our own experiment output, read back only by --rescore
        pickle.dump({"pbs": pbs, "mirrored": mirrored}, f)
    return score_fold(pbs, mirrored, bundle.meta.get("decision"))


def figures(out: Path, dest: Path, only: str = "", seconds: float = 120.0) -> int:
    """Per fold of `out` (only names containing `only`): a timeline PNG of the first test session's first
    `seconds` with the fold model's own decision, and a confusion table over every test session (rows: the
    prompted class; columns: the first command inside the prompt's window, or `(missed)`)."""
    import pickle

    from gestura.evaluation.events import score_playback
    from gestura.evaluation.timeline import plot_timeline
    from gestura.runtime.decision import DecisionConfig
    from gestura.runtime.recognizer import Recognizer
    from gestura.runtime.replay import replay_decisions

    results = json.loads(out.read_text())
    dest.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for name, v in results.items():
        if not isinstance(v, dict) or "settings" not in v or name == "settings" \
                or not any(o in name for o in only.split("|")):
            continue
        folder = out.with_suffix("") / slug(name)
        with open(folder / "playbacks.pkl", "rb") as f:  # written by this script's own evaluate_fold
            pbs = pickle.load(f)["pbs"]
        meta = Recognizer.from_file(folder / "model").meta
        cfg = DecisionConfig(**(meta.get("decision") or {}))
        counts: dict[str, dict[str, int]] = {}
        for i, pb in enumerate(pbs):
            events = replay_decisions(pb.t, pb.probs, pb.labels, cfg, pb.motion)
            for prompt, got in score_playback(pb, events).decided:
                row = counts.setdefault(prompt.label, {})
                key = got[1] if got is not None else "(missed)"
                row[key] = row.get(key, 0) + 1
            if i == 0:
                keep = pb.t <= pb.t[0] + seconds
                prompts = [p for p in pb.prompts if p[0] <= pb.t[0] + seconds]
                plot_timeline(dest / f"timeline_{slug(out.stem)}_{slug(name)}.png", prompts, pb.t[keep],
                              pb.probs[keep], pb.labels, [e for e in events if e[0] <= pb.t[0] + seconds],
                              title=f"{name} ({out.stem}): {pb.stream}, first {seconds:.0f} s, the fold model's "
                                    "own decision", row_s=60.0)
        cols = sorted({c for r in counts.values() for c in r} - {"(missed)"}) + ["(missed)"]
        lines += [f"**{name}** ({out.stem}; rows: prompted class, columns: first command in its window)", "",
                  "| prompted | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += [f"| {r} | " + " | ".join(str(counts[r].get(c, "")) for c in cols) + " |" for r in sorted(counts)]
        lines.append("")
    text = "\n".join(lines)
    (dest / f"confusion_{slug(out.stem)}.md").write_text(text + "\n")
    print(text)
    return 0


def rescore(out: Path, recipe: Any = None) -> int:
    """Re-score every fold's saved playbacks with the current SETTINGS and the recipe's decision (from `recipe`,
    else the one stored in each fold's model); decisions replay exactly, the model is not re-run."""
    import pickle

    from gestura.io import write_json

    from gestura.data.formats import load_dataset
    from gestura.features.handedness import mirror_sequence
    from gestura.runtime.recognizer import Recognizer
    from gestura.runtime.replay import replay_motion

    results = json.loads(out.read_text())
    results["settings"] = SETTINGS
    seqs = {s.video_id: s for s in load_dataset(DATA).sequences}
    for name, v in list(results.items()):
        if not isinstance(v, dict) or "settings" not in v or name == "settings":
            continue
        folder = out.with_suffix("") / slug(name)
        with open(folder / "playbacks.pkl", "rb") as f:
            saved = pickle.load(f)
        rec = Recognizer.from_file(folder / "model")
        for pb in saved["pbs"]:  # motion rows as the current runtime computes them (the model is not re-run)
            pb.motion = replay_motion(rec, seqs[pb.stream])
        for pb in saved["mirrored"]:
            pb.motion = replay_motion(rec, mirror_sequence(seqs[pb.stream]))
        decision = recipe.decision if recipe is not None else rec.meta.get("decision")
        v.update(score_fold(saved["pbs"], saved["mirrored"], decision))
    write_json(out, results)
    print(markdown_table(out.parent))
    return 0


def score_fold(pbs: list[Any], mirrored: list[Any], recipe_decision: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every decision setting (and the recipe's own, stored in its model) replayed on the fold's playbacks."""
    from gestura.evaluation.events import merge_scores, score_playback
    from gestura.runtime.replay import replay_decisions
    from gestura.runtime.decision import DecisionConfig

    out: dict[str, Any] = {"settings": {}, "segment_given": segment_given(pbs),
                           "segment_given_per_class": segment_given(pbs, per_class=True)}
    settings = {**SETTINGS, **({RECIPE_SETTING: recipe_decision} if recipe_decision else {})}
    for name, over in settings.items():
        cfg = DecisionConfig(**over)
        scores = [score_playback(pb, replay_decisions(pb.t, pb.probs, pb.labels, cfg, pb.motion)) for pb in pbs]
        mscores = [score_playback(pb, replay_decisions(pb.t, pb.probs, pb.labels, cfg, pb.motion)) for pb in mirrored]
        merged, mmerged = merge_scores(scores), merge_scores(mscores)
        d = merged.to_dict()
        m = mmerged.to_dict()
        d["mirrored_hit_rate"] = m["hit_rate"]
        d["mirrored_confusions_as_partner"] = mirror_partner_confusions(m)
        d["per_session"] = {pb.stream: sc.to_dict() for pb, sc in zip(pbs, scores)}
        out["settings"][name] = d
    return out


def mirror_partner_confusions(score: dict[str, Any]) -> int:
    """How often a class was confused as its own mirror partner (swiping_left as swiping_right, ...)."""
    from gestura.features.handedness import mirror_label

    return sum(v for k, cs in score["per_class"].items() for c, v in cs["confused_as"].items()
               if c == mirror_label(k) and c != k)


def segment_given(pbs: list[Any], per_class: bool = False) -> Any:
    """Hit rate when the prompt's segment is given: mean probabilities over the windows ending 0.8 s after the
    prompt start to 0.6 s after its end, background excluded, arg-max against the prompt."""
    hits: dict[str, list[bool]] = {}
    for pb in pbs:
        labels = list(pb.labels)
        bg = labels.index("unknown") if "unknown" in labels else -1
        for start, end, label in pb.prompts:
            sel = (pb.t >= start + 0.8) & (pb.t <= end + 0.6)
            if not sel.any():
                hits.setdefault(label, []).append(False)
                continue
            p = pb.probs[sel].mean(axis=0)
            if bg >= 0:
                p[bg] = -1
            hits.setdefault(label, []).append(labels[int(np.argmax(p))] == label)
    if per_class:
        return {k: round(float(np.mean(v)), 3) for k, v in sorted(hits.items())}
    allh = [h for v in hits.values() for h in v]
    return float(np.mean(allh)) if allh else 0.0


def markdown_table(folder: Path) -> str:
    """One row per (results file, fold, decision setting)."""
    rows = ["| run | fold | decision | hit | confused | false/h rest | returns | mirrored hit | "
            "latency p50/p90 from prompt (s) | from movement end (s) | segment given |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for path in sorted(folder.glob("*.json")):
        d = json.loads(path.read_text())
        for fold, v in d.items():
            if not isinstance(v, dict) or "settings" not in v or fold == "settings":
                continue
            for name, s in v["settings"].items():
                def f(x: Any, nd: int = 2) -> str:
                    return "-" if x is None else f"{x:.{nd}f}"
                rows.append(f"| {path.stem} | {fold} | {name} | {f(s['hit_rate'])} | {f(s['confusion_rate'])} | "
                            f"{f(s['false_per_hour'], 0)} | {s['returns']} | {f(s['mirrored_hit_rate'])} | "
                            f"{f(s['latency_p50_s'])}/{f(s['latency_p90_s'])} | "
                            f"{f(s['latency_from_end_p50_s'])}/{f(s['latency_from_end_p90_s'])} | "
                            f"{f(v['segment_given'])} |")
    return "\n".join(rows)


def per_class_table(path: Path, setting: str = RECIPE_SETTING) -> str:
    """What the spotting loses against the given segment, per class: streaming hit rate (the `setting`'s
    decisions) next to the classifier's hit rate when the segment is given, pooled over the file's folds."""
    d = json.loads(path.read_text())
    hits: dict[str, list[int]] = {}
    given: dict[str, list[float]] = {}
    for fold, v in d.items():
        if not isinstance(v, dict) or "settings" not in v or fold == "settings":
            continue
        s = v["settings"].get(setting) or v["settings"][list(v["settings"])[-1]]
        for k, c in s["per_class"].items():
            h = hits.setdefault(k, [0, 0, 0])
            h[0] += c["hits"]
            h[1] += c["n"]
            h[2] += c["confusions"]
        for k, g in v.get("segment_given_per_class", {}).items():
            given.setdefault(k, []).append(g)
    rows = ["| class | streaming hit | confused | segment given (mean over folds) |", "|---|---|---|---|"]
    for k in sorted(hits):
        h = hits[k]
        rows.append(f"| {k} | {h[0] / max(h[1], 1):.2f} | {h[2] / max(h[1], 1):.2f} | "
                    f"{np.mean(given.get(k, [np.nan])):.2f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
