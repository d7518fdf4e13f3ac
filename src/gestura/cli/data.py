"""Commands that make and inspect datasets: `extract` and `data store|info|synth`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from gestura.cli.options import check_choice, console, friendly_errors, out, renamed

EXECUTORS = ("local", "ray")
"""Where `extract` runs its work (`--executor`)."""

data_app = typer.Typer(help="Inspect landmark datasets.", no_args_is_help=True)


@friendly_errors
def extract(
    src: Annotated[Path, typer.Argument(help="A video, an image, a folder of them, or a folder of class folders.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (<video_id>.npz, meta.csv, "
                                          "groundtruth.txt, errors.csv).")],
    holistic: Annotated[bool, typer.Option("--holistic", help="MediaPipe Holistic: pose, face and hands.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (one MediaPipe instance each).")] = 1,
    max_hands: Annotated[int, typer.Option("--max-hands", help="Hands per frame, 1 or 2 (Hands mode).")] = 2,
    mirror: Annotated[bool, typer.Option(help="Flip frames to selfie view before detection (see "
                                         "docs/extraction.md).")] = True,
    executor: Annotated[str, typer.Option(help="local (process pool) or ray (Ray tasks; needs the ray "
                                          "extra).")] = "local",
    address: Annotated[Optional[str], typer.Option(help="Ray cluster to join: auto or ray://host:10001 "
                                                   "(default: a private local cluster on 127.0.0.1).")] = None,
    num_cpus: Annotated[Optional[int], typer.Option("--num-cpus", help="CPUs of the private local Ray cluster "
                                                    "(default: --workers).")] = None,
    landmarks: Annotated[str, typer.Option(help="Landmark backend: mediapipe, or cnn (our landmark CNN; needs "
                                           "--landmark-model, hands only).")] = "mediapipe",
    landmark_model: Annotated[Optional[Path], typer.Option("--landmark-model", help="Landmark CNN model folder "
                                                           "(--landmarks cnn).")] = None,
    engine: Annotated[Optional[str], typer.Option("--engine", hidden=True, help="Deprecated: --executor.")] = None,
    backend: Annotated[Optional[str], typer.Option("--backend", hidden=True, help="Deprecated: --landmarks.")
                       ] = None,
) -> None:
    """Extract hand (or holistic) landmarks from videos/images (or a manifest CSV) into a landmark dataset
    (resumable)."""
    from rich.table import Table

    from gestura.data.ingest import extract as run_extract
    from gestura.landmarks.backend import LANDMARK_BACKENDS

    executor = check_choice(renamed("--engine local|ray", "--executor", engine, executor, "local"), EXECUTORS,
                            "--executor")
    landmarks = check_choice(renamed("--backend mediapipe|cnn", "--landmarks", backend, landmarks, "mediapipe"),
                             LANDMARK_BACKENDS, "--landmarks")

    def report_line(res: Any) -> None:
        if res.error:
            console.print(f"[yellow]skipped[/] {res.error}", highlight=False, soft_wrap=True)

    report = run_extract(src, out_dir, holistic=holistic, workers=workers, max_hands=max_hands, mirror=mirror,
                         on_result=report_line, console=console, engine=executor, address=address,
                         num_cpus=num_cpus, backend=landmarks, landmark_model=landmark_model)
    table = Table(title=f"gestura extract -> {report.out}", show_header=False)
    table.add_row("clips extracted", str(len(report.extracted)))
    table.add_row("already done (skipped)", str(len(report.skipped)))
    table.add_row("failed (errors.csv)", str(len(report.errors)))
    table.add_row("frames processed", str(report.n_frames))
    table.add_row("frames / s", f"{report.frames_per_second:.1f}")
    done = report.extracted + report.skipped
    if done:
        rate = sum(r.hand_present_rate * r.n_frames for r in done) / max(sum(r.n_frames for r in done), 1)
        table.add_row("frames with a hand", f"{rate:.1%}")
    if report.labels:
        table.add_row("labels", ", ".join(f"{k} ({v})" for k, v in report.labels.items()))
    out.print(table)
    if report.errors and not done:
        console.print(f"[red]error:[/] every one of {len(report.errors)} input(s) failed; nothing extracted "
                      f"(see {report.out / 'errors.csv'})", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)


@data_app.command("store")
@friendly_errors
def data_store(
    src: Annotated[Path, typer.Argument(help="Landmark dataset folder (any format `gestura data` reads).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Store folder to write (shards + index.json).")],
    features: Annotated[str, typer.Option(help="Feature schema id, e.g. feature-schema-v1.")] = "feature-schema-v1",
    format: Annotated[Optional[str], typer.Option("--format", help="Dataset format; detected when omitted.")] = None,
    shard_frames: Annotated[int, typer.Option("--shard-frames", min=1, help="Frames per shard file.")] = 65_536,
) -> None:
    """Featurise a dataset once into a sharded memory-mapped store that `gestura train --data DIR` streams from."""
    from gestura.data.store import LandmarkStore, build_feature_store
    from gestura.features.pipeline import FeaturePipeline

    root = build_feature_store(src, FeaturePipeline(features), out_dir, format=format, shard_frames=shard_frames)
    st = LandmarkStore(root)
    out.print(f"{root}: {len(st)} sequences, {int(st.lengths.sum())} frames x {st.dim} ({features}) in "
              f"{len(st.shard_frames)} shard(s)", highlight=False, soft_wrap=True)


@data_app.command("info")
@friendly_errors
def data_info(
    path: Annotated[Path, typer.Argument(help="Dataset folder (or a Kazuhito CSV).")],
    format: Annotated[Optional[str], typer.Option("--format", help="seed003, mp_data, kazuhito_point_history or "
                                                  "kazuhito_keypoint; detected when omitted.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
) -> None:
    """Print format, classes with counts, groups, sequence lengths and missing-hand rate of a dataset."""
    from gestura.data.formats import detect_formats, format_summary, load_dataset

    ds = load_dataset(path, format=format)
    summary = ds.summary()
    others = [f for f, _ in detect_formats(path) if f != ds.format] if path.exists() else []
    if as_json:
        out.print_json(json.dumps({**summary, "other_formats": others}))
    else:
        out.print(format_summary(summary), highlight=False, markup=False, soft_wrap=True)
        if others:
            out.print(f"also      {', '.join(others)} here (pick with --format)", highlight=False, soft_wrap=True)


@data_app.command("synth")
@friendly_errors
def data_synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write (seed-003 layout).")],
    subjects: Annotated[int, typer.Option("--subjects", min=1, help="Number of generated people.")] = 4,
    per_class: Annotated[int, typer.Option("--per-class", min=1, help="Clips per class and person.")] = 5,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
    fps: Annotated[float, typer.Option(help="Frame rate of the clips.")] = 30.0,
    sessions: Annotated[int, typer.Option("--sessions", min=0, help="Write K continuous sessions per person "
                                          "(--per-class prompts of each gesture) instead of clips.")] = 0,
) -> None:
    """Write a synthetic presentation-gesture dataset (tests and demos only; never report accuracy on it)."""
    from gestura.data.synthetic import write_synthetic

    where = write_synthetic(out_dir, n_subjects=subjects, n_per_class=per_class, seed=seed, fps=fps,
                            sessions=sessions)
    what = f"{sessions} sessions" if sessions else f"{per_class} clips per class"
    out.print(f"wrote {subjects} people x {what} to {where}", highlight=False)
