"""The `gestura` command line.

Each command parses its options and calls one library function; heavy imports (torch, mediapipe, fastapi)
happen inside the command so `gestura --help` stays fast. Library errors (`GesturaError`) become one red
line and exit code 2.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional, TypeVar

import typer
from rich.console import Console

from gestura.errors import GesturaError

app = typer.Typer(
    name="gestura",
    help="Turn a camera into an input device: hand gestures and isolated signs from landmarks, on a CPU.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect landmark datasets.", no_args_is_help=True)
landmarks_app = typer.Typer(help="gestura's own hand-landmark CNN: build a teacher dataset, train, evaluate.",
                            no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(landmarks_app, name="landmarks")

console = Console(stderr=True)
out = Console()
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(fn: F) -> F:
    """Turn `GesturaError` (and a missing optional dependency) into one line on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GesturaError as err:
            console.print(f"[red]error:[/] {err}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except ModuleNotFoundError as err:
            console.print(f"[red]error:[/] missing dependency {err.name!r}; install gestura[all]",
                          highlight=False)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def _print_version(value: bool) -> None:
    if value:
        from gestura import __version__

        out.print(f"gestura {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Keep MediaPipe's native INFO/WARNING log lines "
                                          "(hidden by default).")] = False,
) -> None:
    if not verbose:
        from gestura.native_logs import quiet_native_logs

        filt = quiet_native_logs()
        if filt is not None:
            ctx.call_on_close(filt.restore)


# ==================================================================== demo (issues 2, 5, 9)
@app.command()
@friendly_errors
def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated session.")] = 0,
    video: Annotated[Optional[Path], typer.Option(help="Run a real video through MediaPipe instead.")] = None,
    stream: Annotated[Optional[Path], typer.Option(
        help="Play a recorded landmark stream (.npz, prompts from its groundtruth.txt) instead.")] = None,
    artifact: Annotated[Optional[Path], typer.Option(help="Model folder (default: the embedded one).")] = None,
) -> None:
    """Run the embedded default on a generated gesture session (no webcam, no download)."""
    from gestura.demo import run_demo

    run_demo(seed=seed, console=out, video=video, stream=stream, artifact=artifact)


# ==================================================================== extract (issue 2)
@app.command()
@friendly_errors
def extract(
    src: Annotated[Path, typer.Argument(help="A video, an image, a folder of them, or a folder of class folders.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (seed-003 layout: <video_id>.npz, meta.csv, "
                                          "groundtruth.txt, errors.csv).")],
    holistic: Annotated[bool, typer.Option("--holistic", help="MediaPipe Holistic: pose, face and hands.")] = False,
    workers: Annotated[int, typer.Option(help="Worker processes (one MediaPipe instance each).")] = 1,
    max_hands: Annotated[int, typer.Option("--max-hands", help="Hands per frame, 1 or 2 (Hands mode).")] = 2,
    mirror: Annotated[bool, typer.Option(help="Flip frames to selfie view before detection (see "
                                         "docs/extraction.md).")] = True,
    engine: Annotated[str, typer.Option(help="local (process pool) or ray (Ray tasks; needs the ray "
                                        "extra).")] = "local",
    address: Annotated[Optional[str], typer.Option(help="Ray cluster to join: auto or ray://host:10001 "
                                                   "(default: a private local cluster on 127.0.0.1).")] = None,
    num_cpus: Annotated[Optional[int], typer.Option("--num-cpus", help="CPUs of the private local Ray cluster "
                                                    "(default: --workers).")] = None,
    backend: Annotated[str, typer.Option(help="Landmark backend: mediapipe, or cnn (our landmark CNN; needs "
                                         "--landmark-model, hands only).")] = "mediapipe",
    landmark_model: Annotated[Optional[Path], typer.Option("--landmark-model", help="Landmark CNN model folder "
                                                           "(--backend cnn).")] = None,
) -> None:
    """Extract hand (or holistic) landmarks from videos/images (or a manifest CSV) into a landmark dataset
    (resumable)."""
    from rich.table import Table

    from gestura.data.ingest import extract as run_extract

    def report_line(res: Any) -> None:
        if res.error:
            console.print(f"[yellow]skipped[/] {res.error}", highlight=False, soft_wrap=True)

    report = run_extract(src, out_dir, holistic=holistic, workers=workers, max_hands=max_hands, mirror=mirror,
                         on_result=report_line, console=console, engine=engine, address=address,
                         num_cpus=num_cpus, backend=backend, landmark_model=landmark_model)
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


# ==================================================================== data (issue 2)
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
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Print format, classes with counts, groups, sequence lengths and missing-hand rate of a dataset."""
    import json

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


# ==================================================================== features / models (issue 3)

# ==================================================================== train / evaluate / split / tune (issue 4)
_stdout = out  # the `out` options below shadow the module console


@app.command()
@friendly_errors
def train(
    data: Annotated[Optional[Path], typer.Option(help="Dataset folder or file (any format `gestura data` reads).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Registered model name, or logreg/knn for a baseline.")] = None,
    features: Annotated[Optional[str], typer.Option(help="Feature schema id, e.g. feature-schema-v1.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Run folder (default runs/<name>-<time>/).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Run config YAML.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a setting: key.path=value.")] = None,
    group_by: Annotated[Optional[str], typer.Option(help="Split by subject|recorded_by|session|episode|video.")] = None,
    splits: Annotated[Optional[Path], typer.Option(help="Reuse a splits.json from `gestura split`.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    init_from: Annotated[Optional[Path], typer.Option(help="Fine-tune from this artifact (transfer learning).")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Maximum epochs.")] = None,
    name: Annotated[Optional[str], typer.Option(help="Run name (folder prefix).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    precision: Annotated[Optional[str], typer.Option(help="fp32, bf16 (autocast) or fp16 (CUDA only).")] = None,
    accum_steps: Annotated[Optional[int], typer.Option(help="Micro-batches per optimiser step.")] = None,
    distributed: Annotated[bool, typer.Option("--distributed", help="One rank of a torchrun job (DDP).")] = False,
    nproc: Annotated[int, typer.Option(help="Launch this many DDP processes on this machine (torchrun).")] = 1,
) -> None:
    """Train a model with a group-wise split; writes config, metrics, plots, checkpoints and the artifact."""
    import os
    import sys

    from gestura.training.config import config_from_cli
    from gestura.training.run import read_metrics, train_run

    if nproc > 1 and "RANK" not in os.environ:
        from gestura.training.distributed import launch, strip_option

        argv = strip_option(sys.argv[1:], "--nproc")
        code = launch(nproc, ["-m", "gestura", *argv, *([] if distributed else ["--distributed"])])
        raise typer.Exit(code=code)
    cfg = config_from_cli(config, set_, **{
        "data.path": data, "model.name": model, "features.schema": features, "out_dir": out,
        "split.group_by": group_by, "split.splits_file": splits, "resume": True if resume else None,
        "overwrite": True if overwrite else None,
        "transfer.init_from": init_from, "schedule.epochs": epochs, "name": name, "seed": seed,
        "optim.precision": precision, "optim.accum_steps": accum_steps,
        "distributed": True if distributed else None})
    run_dir = train_run(cfg)
    if os.environ.get("RANK", "0") != "0":
        return
    m = read_metrics(run_dir)["test"]
    _stdout.print(f"{run_dir}: test accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f} (n={m['n']})",
                  soft_wrap=True)


@app.command()
@friendly_errors
def evaluate(
    artifact: Annotated[Path, typer.Argument(help="Model folder (model.json + model.safetensors).")],
    data: Annotated[Path, typer.Option(help="Dataset to score on.")],
    out: Annotated[Path, typer.Option(help="Folder for report.json and confusion.png.")],
    split: Annotated[str, typer.Option(help="test (the run's held-out split) or all.")] = "test",
    label_map: Annotated[Optional[Path], typer.Option(help="YAML mapping dataset labels to model labels.")] = None,
    only_mapped: Annotated[bool, typer.Option("--only-mapped", help="Choose only among mapped labels.")] = False,
    splits: Annotated[Optional[Path], typer.Option(help="splits.json (default: the one beside the model).")] = None,
) -> None:
    """Score a saved model on a dataset: accuracy, macro-F1, per-class recall, confusion, per subject."""
    from gestura.evaluation.evaluate import evaluate_artifact

    rep = evaluate_artifact(artifact, data, split=split, label_map=label_map, only_mapped=only_mapped, out=out,
                            splits_file=splits)
    _stdout.print(f"accuracy {rep.accuracy:.4f}, macro-F1 {rep.macro_f1:.4f}, n={rep.n}, "
                  f"skipped {rep.n_skipped} -> {out / 'report.json'}", soft_wrap=True)


@app.command()
@friendly_errors
def split(
    data: Annotated[Path, typer.Option(help="Dataset folder or file.")],
    out: Annotated[Path, typer.Option(help="splits.json to write.")],
    group_by: Annotated[Optional[str], typer.Option(help="subject|recorded_by|session|episode|video.")] = None,
    window: Annotated[Optional[int], typer.Option(help="Window length in frames (stored for train).")] = None,
    stride: Annotated[Optional[int], typer.Option(help="Window stride in frames (stored for train).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    test_fraction: Annotated[float, typer.Option(help="Share of groups held out for test.")] = 0.2,
    val_fraction: Annotated[float, typer.Option(help="Share of groups for validation.")] = 0.15,
) -> None:
    """Write a group-wise, stratified train/val/test split that `train --splits` reuses."""
    from gestura.data.formats import load_dataset
    from gestura.data.splits import make_split

    ds = load_dataset(data)
    sp = make_split(ds.sequences, group_by=group_by, test_fraction=test_fraction, val_fraction=val_fraction,
                    seed=seed, window=window, stride=stride)
    out.parent.mkdir(parents=True, exist_ok=True)
    sp.save(out)
    _stdout.print(f"{out}: by {sp.group_by}: train {len(sp.train)}, val {len(sp.val)}, "
                  f"test {len(sp.test)} sequences ({len(sp.groups['test'])} test groups)", soft_wrap=True)


@app.command()
@friendly_errors
def tune(
    data: Annotated[Optional[Path], typer.Option(help="Dataset folder or file.")] = None,
    trials: Annotated[Optional[int], typer.Option(help="Number of Optuna trials.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Registered model name.")] = None,
    features: Annotated[Optional[str], typer.Option(help="Feature schema id.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Study folder (trials and study.db).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Run config YAML (with tune.space).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a setting: key.path=value.")] = None,
    storage: Annotated[Optional[str], typer.Option(help="Optuna storage URL (default sqlite in --out).")] = None,
    study: Annotated[Optional[str], typer.Option(help="Study name.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Maximum epochs per trial.")] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Worker processes on one shared study (needs --out "
                                        "or --storage).")] = 1,
) -> None:
    """Optuna search over the config's declared space, validation split only; prints the best settings."""
    import sys

    from gestura.training.config import config_from_cli
    from gestura.training.tune import tune_run

    if n_jobs > 1:
        from gestura.errors import ConfigError
        from gestura.training.distributed import strip_option
        from gestura.training.study import run_workers

        if out is None and storage is None:
            raise ConfigError("--n-jobs needs --out or --storage so the workers share one study")
        codes = run_workers([sys.executable, "-m", "gestura", *strip_option(sys.argv[1:], "--n-jobs")], n_jobs)
        raise typer.Exit(code=max(codes))

    cfg = config_from_cli(config, set_, **{
        "data.path": data, "model.name": model, "features.schema": features, "out_dir": out,
        "tune.trials": trials, "tune.storage": storage, "tune.study": study, "schedule.epochs": epochs})
    best = tune_run(cfg)
    _stdout.print(f"best {cfg.tune.objective} {best['value']:.4f} with {best['params']} -> {best['dir']}",
                  soft_wrap=True)

# ==================================================================== live / record (issue 5)
@app.command()
@friendly_errors
def live(
    source: Annotated[str, typer.Option(help="webcam, a camera index, a video file or a landmark .npz.")] = "webcam",
    artifact: Annotated[Optional[Path], typer.Option(help="Model folder (default: the embedded one).")] = None,
    backend: Annotated[str, typer.Option(help="keyboard | web | log")] = "log",
    app_keys: Annotated[str, typer.Option("--app", help="Keyboard table: powerpoint|keynote|impress|browser.")
                        ] = "browser",
    slides: Annotated[Optional[Path], typer.Option(help="Web presenter slides: image folder or PDF.")] = None,
    decision: Annotated[Optional[Path], typer.Option(help="Decision settings YAML (thresholds, cooldown...).")
                        ] = None,
    command_map: Annotated[Optional[Path], typer.Option(help="class: command YAML map.")] = None,
    engine: Annotated[str, typer.Option(help="torch | onnx")] = "torch",
    every_k: Annotated[int, typer.Option(help="Run the model every k frames.")] = 1,
    show: Annotated[bool, typer.Option(help="OpenCV window with landmarks, class, confidence, FPS.")] = False,
    save_video: Annotated[Optional[Path], typer.Option(help="Write the overlay video here.")] = None,
    realtime: Annotated[bool, typer.Option(help="Pace file sources at their own frame times.")] = False,
    port: Annotated[int, typer.Option(help="Web presenter port.")] = 8765,
    landmarks: Annotated[str, typer.Option(help="Landmark backend for frames: mediapipe, or cnn (our landmark "
                                           "CNN; needs --landmark-model).")] = "mediapipe",
    landmark_model: Annotated[Optional[Path], typer.Option("--landmark-model", help="Landmark CNN model folder "
                                                           "(--landmarks cnn).")] = None,
) -> None:
    """Recognise gestures from a camera, video or landmark file and send commands to a backend."""
    from gestura.runtime.live import run_live

    summary = run_live(source, artifact, backend, app=app_keys, slides=slides, decision=decision,
                       command_map=command_map, engine=engine, every_k=every_k, show=show,
                       save_video=save_video, realtime=realtime, port=port, say=console.print,
                       landmarks=landmarks, landmark_model=landmark_model)
    console.print(f"{summary['frames']} frames, {summary['commands']} commands in {summary['seconds']:.1f} s")


@app.command()
@friendly_errors
def present(
    slides: Annotated[Optional[Path], typer.Option(help="A PDF (needs pdftoppm) or a folder of slide images "
                                                   "(default: generated demo slides).")] = None,
    source: Annotated[str, typer.Option(help="webcam, a camera index, a video file or a landmark .npz.")
                      ] = "webcam",
    profile: Annotated[Optional[str], typer.Option(help="Your model: a folder, or a name in ~/.gestura/profiles "
                                                   "(default: the embedded model).")] = None,
    also: Annotated[Optional[list[str]], typer.Option("--also", help="Also send commands to: keyboard (key "
                                                      "presses for --app) or log (JSON lines); repeatable.")] = None,
    app_keys: Annotated[str, typer.Option("--app", help="Keyboard table for --also keyboard: "
                                          "powerpoint|keynote|impress|browser.")] = "browser",
    engine: Annotated[str, typer.Option(help="Inference engine: torch or onnx.")] = "torch",
    port: Annotated[int, typer.Option(help="Port of the presenter page.")] = 8765,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open the page in the default "
                                          "browser.")] = True,
    headless_check: Annotated[bool, typer.Option("--headless-check", help="Play --source through the page in a "
                                                 "headless Chromium; print one line and exit 0 (ok) or 1.")] = False,
) -> None:
    """Present with your hands: slides in the browser, a camera preview, the gesture legend, one command."""
    from gestura.runtime.present import run_present

    code = run_present(source, slides, profile, also=also or (), app=app_keys, engine=engine, port=port,
                       open_browser=browser, headless_check=headless_check, say=console.print,
                       out=lambda line: out.print(line, highlight=False, soft_wrap=True))
    if code:
        raise typer.Exit(code=code)


@app.command()
@friendly_errors
def record(
    label: Annotated[str, typer.Option(help="Class name of the gesture you will perform.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Dataset folder (seed-003 layout; appended to).")],
    count: Annotated[int, typer.Option(help="Number of takes.")] = 10,
    source: Annotated[str, typer.Option(help="webcam, a camera index, or a video file used as the camera.")
                      ] = "webcam",
    seconds: Annotated[float, typer.Option(help="Length of one take.")] = 1.5,
    countdown: Annotated[float, typer.Option(help="Seconds of countdown before each take.")] = 2.0,
    subject: Annotated[str, typer.Option(help="Who is recording (used for subject-wise splits).")] = "me",
) -> None:
    """Record labelled takes of your own gesture (countdown, one clip per take) for `train --init-from`."""
    from gestura.runtime.record import record_takes

    rep = record_takes(source, label, count, out_dir, take_s=seconds, countdown_s=countdown, subject=subject,
                       say=console.print)
    console.print(f"wrote {len(rep.video_ids)} takes of {label!r} to {rep.out}")



# ==================================================================== research: signers / explain (issue 6)
@app.command("train-variations")
@friendly_errors
def train_variations(
    data: Annotated[Path, typer.Option(help="Clip-labelled dataset (e.g. asl-traduttore/words).")],
    out: Annotated[Path, typer.Option(help="Folder for variations.md and variations.json.")],
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Variation to run (repeatable); default all: "
                    "basic, binary, pseudo_signer, adversarial, supcon, film, mi, combined.")] = None,
    split: Annotated[str, typer.Option(help="session (hold out whole sessions) or person.")] = "session",
    test_subject: Annotated[Optional[str], typer.Option(help="The held-out person for --split person.")] = None,
    features: Annotated[str, typer.Option(help="Joint-layout schema: joints-hand-v1, joints-two-hands-v1, "
                        "joints-two-hands-body-v1, joints-upper-body-v1.")] = "joints-two-hands-body-v1",
    max_per_class: Annotated[int, typer.Option(help="Training clips per class (0 = all).")] = 30,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs per variation.")] = 6,
    select_by: Annotated[str, typer.Option(help="Best epoch by accuracy, loss, f1 or pr_auc (validation).")] = "accuracy",
    width: Annotated[str, typer.Option(help="ST-GCN channels, comma-separated.")] = "64,128,128",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Train the SCA-STGCN variations on one split of a small subset and tabulate them."""
    from gestura.training.variations import RunSettings, run_variations

    try:
        channels = tuple(int(c) for c in width.split(","))
    except ValueError:
        raise GesturaError(f"--width must be comma-separated integers, got {width!r}") from None
    dil = (1, 2, 3, 4, 5, 6)[: len(channels)]
    rows = run_variations(data, out, names=only, split=split, test_subject=test_subject, schema=features,
                          max_per_class=max_per_class or None, base_params={"channels": channels, "dilations": dil},
                          settings=RunSettings(epochs=epochs, select_by=select_by, seed=seed),
                          log=lambda m: console.print(m, highlight=False))
    from gestura.training.variations import format_table

    out_text = format_table(rows)
    typer.echo(out_text)


@app.command()
@friendly_errors
def explain(
    artifact: Annotated[Path, typer.Argument(help="Model folder (model.json + model.safetensors).")],
    sample: Annotated[Path, typer.Argument(help="A landmark clip (.npz, seed-003 layout).")],
    out: Annotated[Path, typer.Option(help="Folder for heatmap.png, top_frames.png, explanation.json.")],
    steps: Annotated[int, typer.Option(min=2, help="Integrated-gradients steps.")] = 32,
    top: Annotated[int, typer.Option(min=1, help="Frames to draw.")] = 4,
) -> None:
    """Integrated-gradients saliency: frames x joints heatmap and the top frames drawn as skeletons."""
    from gestura.artifact import ModelBundle
    from gestura.evaluation.explain import explain_sequence
    from gestura.landmarks.sequence import LandmarkSequence

    bundle = ModelBundle.load(artifact)
    seq = LandmarkSequence.from_npz(sample)
    exp = explain_sequence(bundle.model, bundle.pipeline, seq, bundle.labels, out, window=bundle.window,
                           steps=steps, k=top)
    out_lines = [f"predicted {exp.target_label!r} (p={exp.score:.2f}); top frames: "
                 + ", ".join(str(int(i)) for i in (-exp.frame_importance).argsort()[:top])]
    out_lines += [f"wrote {f}" for f in exp.files]
    typer.echo("\n".join(out_lines))


@app.command()
@friendly_errors
def signers(
    artifact: Annotated[Path, typer.Argument(help="Model folder (model.json + model.safetensors).")],
    data: Annotated[Path, typer.Option(help="Dataset with person ids (e.g. asl-traduttore/words).")],
    out: Annotated[Path, typer.Option(help="PNG to write.")],
    reduce: Annotated[str, typer.Option(help="pca or tsne.")] = "pca",
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Also write the embeddings as CSV.")] = None,
    max_clips: Annotated[int, typer.Option(help="Random clips to embed at most (0 = all).")] = 2000,
) -> None:
    """Signer-embedding map of a dataset under a model, coloured by person."""
    from gestura.artifact import ModelBundle
    from gestura.data.formats import load_dataset
    from gestura.evaluation.signers import plot_signer_map, signer_map, write_signer_csv

    bundle = ModelBundle.load(artifact)
    ds = load_dataset(data)
    m = signer_map(bundle, list(ds), reduce, max_clips=max_clips or None)
    plot_signer_map(m, out)
    if csv is not None:
        write_signer_csv(m, csv)
    sil = "n/a" if m.silhouette is None else f"{m.silhouette:.3f}"
    typer.echo(f"{len(m.points)} clips, {len(set(m.subjects))} people, {m.source}, silhouette by person {sil}; "
               f"wrote {out}" + (f" and {csv}" if csv else ""))


# ==================================================================== export / serve (issue 7)
def _default_artifact() -> Path:
    return Path(__file__).resolve().parent / "assets" / "default"


@app.command("export")
@friendly_errors
def export_cmd(
    artifact: Annotated[Optional[Path], typer.Argument(help="Artifact folder (default: the embedded model).")] = None,
    format: Annotated[str, typer.Option("--format", help="Export format (onnx).")] = "onnx",
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (model.onnx + model.json).")] = Path("export"),
    opset: Annotated[int, typer.Option(help="ONNX opset for the dynamo exporter.")] = 18,
) -> None:
    """Export an artifact to ONNX (dynamic batch, and time where the model allows) and check parity."""
    from gestura.errors import ConfigError
    from gestura.serving.export import export_onnx

    if format != "onnx":
        raise ConfigError(f"--format {format!r}: only 'onnx' is supported")
    src = artifact or _default_artifact()
    report = export_onnx(src, out_dir, opset=opset)
    axes = "batch+time" if report.dynamic_time else "batch"
    out.print(f"wrote {report.path} ({report.model}, exporter={report.exporter}, dynamic {axes}, "
              f"max |onnx - torch| = {report.max_abs_diff:.1e})")


@app.command()
@friendly_errors
def serve(
    artifact: Annotated[Optional[Path], typer.Argument(help="Artifact folder (default: the embedded model).")] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    api_key: Annotated[Optional[str], typer.Option("--api-key", envvar="GESTURA_API_KEY",
                                                   help="Require this key (X-API-Key header / ?api_key=).")] = None,
    engine: Annotated[str, typer.Option(help="Inference engine: torch or onnx.")] = "torch",
    threads: Annotated[int, typer.Option(help="Compute threads for the model.")] = 1,
) -> None:
    """Run the HTTP/WebSocket service and the browser demo (FastAPI + uvicorn)."""
    from gestura.serving.launch import serve as run_serve

    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    run_serve(artifact or _default_artifact(), host=host, port=port, api_key=api_key, engine=engine,
              say=lambda m: console.print(m, highlight=False, soft_wrap=True))


# ==================================================================== evaluate-stream / enroll (issue 9)
@app.command("evaluate-stream")
@friendly_errors
def evaluate_stream(
    artifact: Annotated[Path, typer.Argument(help="Model folder (model.json + model.safetensors).")],
    data: Annotated[Path, typer.Option("--data", help="Streams with frame labels (seed-003 layout).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.json and the timeline PNG.")],
    split: Annotated[str, typer.Option(
        help="all | subject=NAME | session=ID | video=ID[,ID] | a splits.json (its test part).")] = "all",
    command_map: Annotated[Optional[Path], typer.Option("--command-map", help="YAML class -> command.")] = None,
    decision: Annotated[Optional[Path], typer.Option(
        "--decision", help="YAML decision settings (default: the artifact's).")] = None,
    grace: Annotated[float, typer.Option(help="Seconds after a prompt's end a command still counts.")] = 1.0,
    fast: Annotated[bool, typer.Option(
        "--fast", help="Batched playback equal to streaming (much faster on a CPU).")] = False,
    timeline: Annotated[Optional[str], typer.Option(help="Stream id to plot (default: the first).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary (overall, per person, per class) "
                                          "as JSON on stdout.")] = False,
) -> None:
    """Play recorded streams through the live runtime and score events: hits, confusions, false commands/hour.

    Results go to stdout (a per-class table, per person, overall), file paths and progress to stderr."""
    import json

    from gestura.evaluation.streams import evaluate_streams, select_streams
    from gestura.limits import check_number

    check_number(grace, "--grace", low=0, high=3600)
    if timeline is not None:  # checked before the (long) run, not ignored after it
        from gestura.data.formats import load_dataset

        ids = [str(s.video_id) for s in select_streams(list(load_dataset(data).sequences), split, str(data))]
        if timeline not in ids:
            raise GesturaError(f"--timeline {timeline!r}: no such stream in {data} ({split}); e.g. {ids[:3]}")
    rep = evaluate_streams(artifact, data, split, command_map, out, decision=decision, grace=grace,
                           exact=not fast, timeline=timeline)
    files = {"report": str(out / "report.json"), "timeline": str(out / rep["timeline_png"])}
    if as_json:
        keys = ("overall", "per_person", "command_space")
        _stdout.print_json(json.dumps({**{k: rep[k] for k in keys if k in rep}, **files}))
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
    _stdout.print(table)
    for person, s in rep["per_person"].items():
        _stdout.print(f"  {person}: hit {s['hit_rate']:.2f}  confused {s['confusion_rate']:.2f}  "
                      f"false/h {_rate_text(s['false_per_hour'], '{:.0f}')}", highlight=False)
    lat = "n/a" if o["latency_p50_s"] is None else f"{o['latency_p50_s']:.2f}/{o['latency_p90_s']:.2f} s"
    _stdout.print(f"{len(rep['streams'])} streams, {o['n_prompts']} prompts: hit {o['hit_rate']:.2f}, confused "
                  f"{o['confusion_rate']:.2f}, missed {o['miss_rate']:.2f}, false commands {o['false_commands']} "
                  f"({_rate_text(o['false_per_hour'], '{:.0f}')}/h of rest), latency p50/p90 {lat}",
                  highlight=False, soft_wrap=True)


@app.command()
@friendly_errors
def enroll(
    artifact: Annotated[Path, typer.Option("--artifact", help="Model folder to personalise.")],
    source: Annotated[str, typer.Option(
        "--source", help="webcam | a video file | landmarks (a dataset folder or .npz with frame labels).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the personal artifact.")],
    k: Annotated[int, typer.Option("-k", help="Takes per gesture.")] = 5,
    replay: Annotated[Optional[Path], typer.Option(
        help="Data the artifact was trained on, replayed so old users are not forgotten.")] = None,
    mode: Annotated[str, typer.Option(help="head (stage A only) | full (stage A then B).")] = "full",
    seed: Annotated[int, typer.Option(help="Seed of sampling and fine-tuning.")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a model already in --out.")] = False,
) -> None:
    """Adapt a model to a new user from K prompted takes per gesture and write a personal artifact."""
    from gestura.training.enroll import enroll as run_enroll

    info = run_enroll(artifact, source, out, k=k, replay_data=replay, mode=mode, seed=seed, console=console,
                      overwrite=overwrite)
    console.print(f"enrolled from {info['takes']} take windows (+{info['replay']} replay) in "
                  f"{info['seconds']:.1f} s; wrote {out}", highlight=False)


# ==================================================================== landmarks CNN (issue 10)
@landmarks_app.command("dataset")
@friendly_errors
def landmarks_dataset(
    src: Annotated[Path, typer.Argument(help="A video, an image, or a folder searched recursively for them.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder: crops/<source>.npz + manifest.csv.")],
    workers: Annotated[int, typer.Option(help="Worker processes (one MediaPipe teacher each).")] = 1,
    crop_size: Annotated[int, typer.Option("--crop-size", help="Stored crop side in pixels.")] = 192,
    every: Annotated[int, typer.Option(help="Keep every n-th video frame.")] = 1,
    max_frames: Annotated[int, typer.Option("--max-frames", help="Frames per source (0 = all).")] = 0,
    max_hands: Annotated[int, typer.Option("--max-hands", help="Hands per frame (1 for one-hand photos: faster)."
                                           )] = 2,
) -> None:
    """Label hand crops of real videos/images with MediaPipe (the teacher) for the landmark CNN (resumable)."""
    from gestura.landmarks.cnn.teacher import build_teacher_dataset, describe_teacher_rows

    rows = build_teacher_dataset(src, out_dir, workers=workers, crop_size=crop_size, every=every,
                                 max_frames=max_frames, max_hands=max_hands, console=console)
    for r in rows:
        if "error" in r:
            console.print(f"[yellow]skipped[/] {r['error']}", highlight=False, soft_wrap=True)
    ok = [r for r in rows if "error" not in r]
    if rows and not ok:
        console.print(f"[red]error:[/] every one of {len(rows)} source(s) failed; nothing labelled",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(code=1)
    groups = sorted({r["group"] for r in ok})
    out.print(describe_teacher_rows(ok), highlight=False, soft_wrap=True)
    out.print(f"{out_dir}: {sum(int(r['n_hands']) for r in ok)} hand crops, "
              f"{sum(int(r['n_background']) for r in ok)} background crops from {len(ok)} sources in "
              f"{len(groups)} groups: {', '.join(groups)}")


@landmarks_app.command("train")
@friendly_errors
def landmarks_train(
    data: Annotated[Path, typer.Argument(help="Teacher dataset folder (from `gestura landmarks dataset`).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Model folder to write.")],
    held_out: Annotated[Optional[list[str]], typer.Option("--held-out", help="Test group (video) to hold out "
                                                          "and report on; repeat for several.")] = None,
    val: Annotated[Optional[list[str]], typer.Option("--val", help="Validation group that picks the best epoch "
                                                     "(early stopping); repeat for several.")] = None,
    arch: Annotated[str, typer.Option(help="Registered landmark model (`_integral`: heatmap head).")
                    ] = "mobilenetv3_small_hand_160",
    input_size: Annotated[Optional[int], typer.Option("--input-size", help="160, 192 or 224.")] = None,
    width: Annotated[Optional[float], typer.Option(help="Width multiplier.")] = None,
    epochs: Annotated[int, typer.Option()] = 20,
    patience: Annotated[int, typer.Option(help="Stop after this many epochs without a better validation "
                                          "error.")] = 6,
    batch_size: Annotated[int, typer.Option("--batch-size")] = 32,
    lr: Annotated[float, typer.Option()] = 2e-3,
    threads: Annotated[int, typer.Option(help="torch threads.")] = 2,
    seed: Annotated[int, typer.Option()] = 0,
    init: Annotated[Optional[Path], typer.Option(help="Start from this model folder (fine-tune, e.g. on your "
                                                 "own recordings).")] = None,
    max_minutes: Annotated[float, typer.Option("--max-minutes", help="Stop after the epoch that passes this "
                                               "wall time (0 = no limit).")] = 0.0,
) -> None:
    """Train the landmark CNN on a teacher dataset, holding out whole videos."""
    from gestura.landmarks.cnn.train import train_landmark_model

    s = train_landmark_model(data, out_dir, arch=arch, input_size=input_size, width=width,
                             held_out=held_out or [], val=val or [], epochs=epochs, patience=patience,
                             batch_size=batch_size, lr=lr, threads=threads, seed=seed, init=init,
                             max_minutes=max_minutes)
    rep, vrep = s["held_out_report"], s["val_report"]
    tail = f"; validation error {vrep['err_box']:.3f} of box (epoch {s['best_epoch']})" if vrep else ""
    tail += f"; held-out error {rep['err_box']:.3f} of box, PCK@0.2 {rep['pck_0.2']:.2f}" if rep else ""
    out.print(f"{out_dir}: {s['parameters']:,} parameters, {s['epochs_run']} epochs on {s['n_train_crops']} "
              f"crops{tail}")


@landmarks_app.command("evaluate")
@friendly_errors
def landmarks_evaluate(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    data: Annotated[Path, typer.Argument(help="Teacher dataset folder.")],
    group: Annotated[Optional[list[str]], typer.Option("--group", help="Group to evaluate (default: the "
                                                       "model's held-out groups).")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Also write the report as JSON.")] = None,
) -> None:
    """Error of the landmark CNN against the MediaPipe teacher (per box size, palm length, PCK, per finger)."""
    from rich.table import Table

    from gestura.io import write_json
    from gestura.landmarks.cnn.evaluate import evaluate_landmark_model

    report = evaluate_landmark_model(model, data, group or None)
    table = Table(title=f"{model} vs teacher on {', '.join(report['groups'])}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in report["overall"].items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    out.print(table)
    if json_out:
        write_json(json_out, report)


@landmarks_app.command("export")
@friendly_errors
def landmarks_export(
    model: Annotated[Path, typer.Argument(help="Model folder; writes model.onnx (and model.int8.onnx) there.")],
    int8: Annotated[bool, typer.Option("--int8", help="Also write a static int8 copy, calibrated on --data.")] = False,
    data: Annotated[Optional[Path], typer.Option(help="Teacher dataset for int8 calibration.")] = None,
) -> None:
    """Export the landmark CNN to ONNX, check onnxruntime parity, optionally quantise to int8."""
    from gestura.errors import ConfigError
    from gestura.landmarks.cnn.export import calibration_images, check_landmark_parity, export_landmark_onnx, \
        quantize_landmark_onnx
    from gestura.landmarks.cnn.heads import load_landmark_model

    net, _ = load_landmark_model(model)
    path = export_landmark_onnx(net, model / "model.onnx")
    out.print(f"{path}: max |torch - onnxruntime| = {check_landmark_parity(net, path):.2e}")
    if int8:
        if data is None:
            raise ConfigError("--int8 needs --data (a teacher dataset to calibrate on)")
        q = quantize_landmark_onnx(path, model / "model.int8.onnx", calibration_images(data, net.input_size))
        out.print(f"{q}: int8 written")
