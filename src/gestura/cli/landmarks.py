"""`gestura landmarks`: gestura's own hand-landmark CNN (teacher dataset, training, evaluation, export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gestura.cli.options import console, friendly_errors, out, renamed
from gestura.errors import ConfigError

landmarks_app = typer.Typer(help="gestura's own hand-landmark CNN: build a teacher dataset, train, evaluate.",
                            no_args_is_help=True)


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
    from gestura.training.landmark_cnn import train_landmark_model

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
    report_file: Annotated[Optional[Path], typer.Option("--report", help="Also write the report as JSON to "
                                                        "this file.")] = None,
    json_file: Annotated[Optional[Path], typer.Option("--json", hidden=True, help="Deprecated: --report.")] = None,
) -> None:
    """Error of the landmark CNN against the MediaPipe teacher (per box size, palm length, PCK, per finger)."""
    from rich.table import Table

    from gestura.io import write_json
    from gestura.landmarks.cnn.evaluate import evaluate_landmark_model

    report_file = renamed("--json FILE", "--report FILE", json_file, report_file, None)
    report = evaluate_landmark_model(model, data, group or None)
    table = Table(title=f"{model} vs teacher on {', '.join(report['groups'])}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in report["overall"].items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    out.print(table)
    if report_file:
        write_json(report_file, report)


@landmarks_app.command("export")
@friendly_errors
def landmarks_export(
    model: Annotated[Path, typer.Argument(help="Model folder; writes model.onnx (and model.int8.onnx) there.")],
    int8: Annotated[bool, typer.Option("--int8", help="Also write a static int8 copy, calibrated on --data.")] = False,
    data: Annotated[Optional[Path], typer.Option(help="Teacher dataset for int8 calibration.")] = None,
) -> None:
    """Export the landmark CNN to ONNX, check onnxruntime parity, optionally quantise to int8."""
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
