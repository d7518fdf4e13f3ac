"""Commands that fit models: `train`, `split`, `tune`, `train-variations`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gestura.cli.options import check_choice, console, friendly_errors, out, renamed
from gestura.errors import ConfigError, GesturaError


@friendly_errors
def train(
    data: Annotated[Optional[Path], typer.Option(help="Dataset folder or file (any format `gestura data` reads).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Registered model name, or logreg/knn for a baseline.")] = None,
    features: Annotated[Optional[str], typer.Option(help="Feature schema id, e.g. feature-schema-v1.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Run folder (default runs/<name>-<time>/).")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Run config YAML.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a setting: key.path=value.")] = None,
    group_by: Annotated[Optional[str], typer.Option(help="Split by subject|recorded_by|session|episode|video.")] = None,
    splits: Annotated[Optional[Path], typer.Option(help="Reuse a splits.json from `gestura split`.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the run in --out from its last checkpoint.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the run already in --out.")] = False,
    init_from: Annotated[Optional[Path], typer.Option(help="Fine-tune from this model folder, or default (the "
                                                      "packaged model): transfer learning.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Maximum epochs.")] = None,
    name: Annotated[Optional[str], typer.Option(help="Run name (folder prefix).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    precision: Annotated[Optional[str], typer.Option(help="fp32, bf16 (autocast) or fp16 (CUDA only).")] = None,
    accum_steps: Annotated[Optional[int], typer.Option(help="Micro-batches per optimiser step.")] = None,
    distributed: Annotated[bool, typer.Option("--distributed", help="One rank of a torchrun job (DDP).")] = False,
    nproc: Annotated[int, typer.Option(help="Launch this many DDP processes on this machine (torchrun).")] = 1,
    recipe: Annotated[Optional[Path], typer.Option(help="Build the model a recipe file describes (its kind: "
                      "presentation, e.g. recipes/presentation-default.yaml, or signs, e.g. recipes/sign-words.yaml) "
                      "into --out; --data replaces the recipe's datasets folder, --set overrides its settings.")] = None,
) -> None:
    """Train a model with a group-wise split; writes config, metrics, plots, checkpoints and the model."""
    import os
    import sys

    if recipe is not None:
        from gestura.training.recipe import build_recipe

        if out_dir is None:
            raise ConfigError("--recipe: give --out (the model folder to write)")
        bundle = build_recipe(recipe, out_dir, progress=True, datasets=data, overrides=set_ or ())
        what = f"windows {bundle.meta['windows']}" if "windows" in bundle.meta else \
            f"{bundle.meta['training']['train_clips']} training clips"
        out.print(f"{out_dir}: {len(bundle.labels)} labels, {what}", soft_wrap=True, highlight=False)
        return

    from gestura.training.config import config_from_cli
    from gestura.training.run import read_metrics, train_run

    if nproc > 1 and "RANK" not in os.environ:
        from gestura.training.distributed import launch, strip_option

        argv = strip_option(sys.argv[1:], "--nproc")
        code = launch(nproc, ["-m", "gestura", *argv, *([] if distributed else ["--distributed"])])
        raise typer.Exit(code=code)
    if init_from is not None and str(init_from) == "default" and not init_from.exists():
        from gestura.cli.options import EMBEDDED_MODEL

        init_from = EMBEDDED_MODEL
    cfg = config_from_cli(config, set_, **{
        "data.path": data, "model.name": model, "features.schema": features, "out_dir": out_dir,
        "split.group_by": group_by, "split.splits_file": splits, "resume": True if resume else None,
        "overwrite": True if overwrite else None,
        "transfer.init_from": init_from, "schedule.epochs": epochs, "name": name, "seed": seed,
        "optim.precision": precision, "optim.accum_steps": accum_steps,
        "distributed": True if distributed else None})
    run_dir = train_run(cfg)
    if os.environ.get("RANK", "0") != "0":
        return
    m = read_metrics(run_dir)["test"]
    out.print(f"{run_dir}: test accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f} (n={m['n']})",
              soft_wrap=True)


@friendly_errors
def split(
    data: Annotated[Path, typer.Option(help="Dataset folder or file.")],
    out_file: Annotated[Path, typer.Option("--out", help="splits.json to write.")],
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
    out_file.parent.mkdir(parents=True, exist_ok=True)
    sp.save(out_file)
    out.print(f"{out_file}: by {sp.group_by}: train {len(sp.train)}, val {len(sp.val)}, "
              f"test {len(sp.test)} sequences ({len(sp.groups['test'])} test groups)", soft_wrap=True)


@friendly_errors
def tune(
    data: Annotated[Optional[Path], typer.Option(help="Dataset folder or file.")] = None,
    trials: Annotated[Optional[int], typer.Option(help="Number of Optuna trials.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Registered model name.")] = None,
    features: Annotated[Optional[str], typer.Option(help="Feature schema id.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Study folder (trials and study.db).")] = None,
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

        if out_dir is None and storage is None:
            raise ConfigError("--n-jobs needs --out or --storage so the workers share one study")
        codes = run_workers([sys.executable, "-m", "gestura", *strip_option(sys.argv[1:], "--n-jobs")], n_jobs)
        raise typer.Exit(code=max(codes))

    cfg = config_from_cli(config, set_, **{
        "data.path": data, "model.name": model, "features.schema": features, "out_dir": out_dir,
        "tune.trials": trials, "tune.storage": storage, "tune.study": study, "schedule.epochs": epochs})
    best = tune_run(cfg)
    out.print(f"best {cfg.tune.objective} {best['value']:.4f} with {best['params']} -> {best['dir']}",
              soft_wrap=True)


@friendly_errors
def train_variations(
    data: Annotated[Path, typer.Option(help="Clip-labelled dataset (e.g. asl-traduttore/words).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for variations.md and variations.json.")],
    only: Annotated[Optional[list[str]], typer.Option("--only", help="Variation to run (repeatable); default all: "
                    "basic, bias_attention, binary, pseudo_signer, adversarial, supcon, film, mi, combined.")] = None,
    hold_out: Annotated[str, typer.Option("--hold-out", help="What the test set holds out: session (whole "
                                          "sessions) or person (--test-subject).")] = "session",
    test_subject: Annotated[Optional[str], typer.Option(help="The held-out person for --hold-out person.")] = None,
    features: Annotated[str, typer.Option(help="Joint-layout schema: joints-hand-v1, joints-two-hands-v1, "
                        "joints-two-hands-body-v1, joints-upper-body-v1.")] = "joints-two-hands-body-v1",
    max_per_class: Annotated[int, typer.Option(help="Training clips per class (0 = all).")] = 30,
    epochs: Annotated[int, typer.Option(min=1, help="Epochs per variation.")] = 6,
    select_by: Annotated[str, typer.Option(help="Best epoch by accuracy, loss, f1 or pr_auc (validation).")] = "accuracy",
    width: Annotated[str, typer.Option(help="ST-GCN channels, comma-separated.")] = "64,128,128",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    split: Annotated[Optional[str], typer.Option("--split", hidden=True, help="Deprecated: --hold-out.")] = None,
) -> None:
    """Train the SCA-STGCN variations on one split of a small subset and tabulate them."""
    from gestura.training.variations import RunSettings, format_table, run_variations

    hold_out = check_choice(renamed("--split session|person", "--hold-out", split, hold_out, "session"),
                            ("session", "person"), "--hold-out")
    try:
        channels = tuple(int(c) for c in width.split(","))
    except ValueError:
        raise GesturaError(f"--width must be comma-separated integers, got {width!r}") from None
    dil = (1, 2, 3, 4, 5, 6)[: len(channels)]
    rows = run_variations(data, out_dir, names=only, split=hold_out, test_subject=test_subject, schema=features,
                          max_per_class=max_per_class or None, base_params={"channels": channels, "dilations": dil},
                          settings=RunSettings(epochs=epochs, select_by=select_by, seed=seed),
                          log=lambda m: console.print(m, highlight=False))
    typer.echo(format_table(rows))
