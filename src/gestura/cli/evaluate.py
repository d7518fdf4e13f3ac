"""Commands that judge a model: `evaluate`, `evaluate-stream`, `explain`, `signers`.

`--split` means one thing in all of them: which part of `--data` is scored (`test`: the test part of the
model's splits.json; `all`; for streams also `subject=NAME`, `session=ID`, `video=ID[,ID]` or a splits.json).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from gestura.cli.options import DEFAULT_MODEL, ModelArg, console, friendly_errors, out, resolve_model
from gestura.errors import ConfigError, GesturaError


@friendly_errors
def evaluate(
    data: Annotated[Path, typer.Option(help="Dataset to score on.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.json and confusion.png.")],
    model: ModelArg = DEFAULT_MODEL,
    split: Annotated[str, typer.Option(help="Part of --data to score: test (the test part of the model's "
                                       "splits.json) or all.")] = "test",
    label_map: Annotated[Optional[Path], typer.Option(help="YAML mapping dataset labels to model labels.")] = None,
    only_mapped: Annotated[bool, typer.Option("--only-mapped", help="Choose only among mapped labels.")] = False,
    splits: Annotated[Optional[Path], typer.Option(help="splits.json (default: the one beside the model).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Score a saved model on a dataset: accuracy, macro-F1, per-class recall, confusion, per subject."""
    from gestura.evaluation.evaluate import evaluate_artifact

    rep = evaluate_artifact(resolve_model(model), data, split=split, label_map=label_map, only_mapped=only_mapped,
                            out=out_dir, splits_file=splits)
    report = out_dir / "report.json"
    if as_json:
        out.print_json(json.dumps({"accuracy": rep.accuracy, "macro_f1": rep.macro_f1, "n": rep.n,
                                   "n_skipped": rep.n_skipped, "report": str(report)}))
    else:
        out.print(f"accuracy {rep.accuracy:.4f}, macro-F1 {rep.macro_f1:.4f}, n={rep.n}, "
                  f"skipped {rep.n_skipped}", highlight=False, soft_wrap=True)
    console.print(f"wrote {report}", highlight=False, soft_wrap=True)


def _stream_split(split: str, model: Path) -> str:
    """`--split test` for streams: the test part of the splits.json beside the model, as for `evaluate`."""
    if split != "test":
        return split
    from gestura.evaluation.evaluate import find_splits

    found = find_splits(model)
    if found is None:
        raise ConfigError(f"--split test: {model} has no splits.json beside it; use --split all, subject=NAME, "
                          "session=ID, video=ID or a splits.json")
    return str(found)


@friendly_errors
def evaluate_stream(
    data: Annotated[Path, typer.Option("--data", help="Streams with frame labels (seed-003 layout).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for report.json and the timeline PNG.")],
    model: ModelArg = DEFAULT_MODEL,
    split: Annotated[str, typer.Option(
        help="Part of --data to score: all | test (the model's splits.json) | subject=NAME | session=ID | "
             "video=ID[,ID] | a splits.json (its test part).")] = "all",
    command_map: Annotated[Optional[Path], typer.Option("--command-map", help="YAML class -> command.")] = None,
    decision: Annotated[Optional[Path], typer.Option(
        "--decision", help="YAML decision settings (default: the model's).")] = None,
    grace: Annotated[float, typer.Option(help="Seconds after a prompt's end a command still counts.")] = 1.0,
    fast: Annotated[bool, typer.Option(
        "--fast", help="Batched playback equal to streaming (much faster on a CPU).")] = False,
    timeline: Annotated[Optional[str], typer.Option(help="Stream id to plot (default: the first).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary (overall, per person, per class) "
                                          "as JSON on stdout.")] = False,
) -> None:
    """Play recorded streams through the live runtime and score events: hits, confusions, false commands/hour.

    Results go to stdout (a per-class table, per person, overall), file paths and progress to stderr."""
    from gestura.evaluation.streams import evaluate_streams, select_streams
    from gestura.limits import check_number

    check_number(grace, "--grace", low=0, high=3600)
    artifact = resolve_model(model)
    split = _stream_split(split, artifact)
    if timeline is not None:  # checked before the (long) run, not ignored after it
        from gestura.data.formats import load_dataset

        ids = [str(s.video_id) for s in select_streams(list(load_dataset(data).sequences), split, str(data))]
        if timeline not in ids:
            raise GesturaError(f"--timeline {timeline!r}: no such stream in {data} ({split}); e.g. {ids[:3]}")
    rep = evaluate_streams(artifact, data, split, command_map, out_dir, decision=decision, grace=grace,
                           exact=not fast, timeline=timeline)
    files = {"report": str(out_dir / "report.json"), "timeline": str(out_dir / rep["timeline_png"])}
    if as_json:
        keys = ("overall", "per_person", "command_space")
        out.print_json(json.dumps({**{k: rep[k] for k in keys if k in rep}, **files}))
    else:
        _print_stream_summary(rep)
    console.print(f"wrote {files['report']} and {files['timeline']}", highlight=False)


def _rate_text(value: Any, fmt: str = "{:.2f}") -> str:
    return "n/a" if value is None else fmt.format(value)


def _print_stream_summary(rep: dict[str, Any]) -> None:
    """evaluate-stream's human summary on stdout: per-class table, then per person, then overall."""
    from rich.table import Table

    o = rep["overall"]
    table = Table(title="per gesture (prompts in the recordings)")
    table.add_column("gesture", no_wrap=True, min_width=max([len(k) for k in o.get("per_class", {})] + [7]))
    for col in ("prompts", "hit", "confused", "missed", "p50 s"):
        table.add_column(col, justify="right")
    table.add_column("confused as", overflow="fold")
    for label, c in o.get("per_class", {}).items():
        confused = ", ".join(f"{k} {v}" for k, v in sorted(c["confused_as"].items(), key=lambda kv: -kv[1]))
        table.add_row(label, str(c["n"]), _rate_text(c["hit_rate"]), _rate_text(c["confusion_rate"]),
                      _rate_text(c["misses"] / c["n"] if c["n"] else None),
                      _rate_text(c["latency_p50_s"]), confused or "-")
    out.print(table)
    for person, s in rep["per_person"].items():
        out.print(f"  {person}: hit {s['hit_rate']:.2f}  confused {s['confusion_rate']:.2f}  "
                  f"false/h {_rate_text(s['false_per_hour'], '{:.0f}')}", highlight=False)
    lat = "n/a" if o["latency_p50_s"] is None else f"{o['latency_p50_s']:.2f}/{o['latency_p90_s']:.2f} s"
    out.print(f"{len(rep['streams'])} streams, {o['n_prompts']} prompts: hit {o['hit_rate']:.2f}, confused "
              f"{o['confusion_rate']:.2f}, missed {o['miss_rate']:.2f}, false commands {o['false_commands']} "
              f"({_rate_text(o['false_per_hour'], '{:.0f}')}/h of rest), latency p50/p90 {lat}",
              highlight=False, soft_wrap=True)


@friendly_errors
def explain(
    args: Annotated[list[str], typer.Argument(metavar="[MODEL] SAMPLE", show_default=False,
                                              help="MODEL (default: the packaged model), then a landmark clip "
                                                   "(.npz, seed-003 layout).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for heatmap.png, top_frames.png, "
                                          "explanation.json.")],
    steps: Annotated[int, typer.Option(min=2, help="Integrated-gradients steps.")] = 32,
    top: Annotated[int, typer.Option(min=1, help="Frames to draw.")] = 4,
) -> None:
    """Integrated-gradients saliency: frames x joints heatmap and the top frames drawn as skeletons."""
    from gestura.artifact import ModelBundle
    from gestura.evaluation.explain import explain_sequence
    from gestura.landmarks.sequence import LandmarkSequence

    if len(args) not in (1, 2):
        raise ConfigError(f"explain takes [MODEL] SAMPLE, got {len(args)} arguments")
    model, sample = (DEFAULT_MODEL, args[0]) if len(args) == 1 else (args[0], args[1])
    bundle = ModelBundle.load(resolve_model(model))
    seq = LandmarkSequence.from_npz(Path(sample))
    exp = explain_sequence(bundle.model, bundle.pipeline, seq, bundle.labels, out_dir, window=bundle.window,
                           steps=steps, k=top)
    out.print(f"predicted {exp.target_label!r} (p={exp.score:.2f}); top frames: "
              + ", ".join(str(int(i)) for i in (-exp.frame_importance).argsort()[:top]),
              highlight=False, soft_wrap=True)
    for f in exp.files:
        console.print(f"wrote {f}", highlight=False, soft_wrap=True)


@friendly_errors
def signers(
    data: Annotated[Path, typer.Option(help="Dataset with person ids (e.g. asl-traduttore/words).")],
    out_png: Annotated[Path, typer.Option("--out", help="PNG to write.")],
    model: ModelArg = DEFAULT_MODEL,
    reduce: Annotated[str, typer.Option(help="pca or tsne.")] = "pca",
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Also write the embeddings as CSV.")] = None,
    max_clips: Annotated[int, typer.Option(help="Random clips to embed at most (0 = all).")] = 2000,
) -> None:
    """Signer-embedding map of a dataset under a model, coloured by person."""
    from gestura.artifact import ModelBundle
    from gestura.data.formats import load_dataset
    from gestura.evaluation.signers import plot_signer_map, signer_map, write_signer_csv

    bundle = ModelBundle.load(resolve_model(model))
    ds = load_dataset(data)
    m = signer_map(bundle, list(ds), reduce, max_clips=max_clips or None)
    plot_signer_map(m, out_png)
    if csv is not None:
        write_signer_csv(m, csv)
    sil = "n/a" if m.silhouette is None else f"{m.silhouette:.3f}"
    out.print(f"{len(m.points)} clips, {len(set(m.subjects))} people, {m.source}, silhouette by person {sil}",
              highlight=False, soft_wrap=True)
    console.print(f"wrote {out_png}" + (f" and {csv}" if csv else ""), highlight=False, soft_wrap=True)
