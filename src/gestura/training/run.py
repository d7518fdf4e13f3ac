"""`train_run(cfg) -> run_dir`: data -> split -> windows -> features -> (augment) -> fit -> held-out test -> artifact.

The run folder (`runs/<name>-<YYYYmmdd-HHMMSS>/` or `cfg.out_dir`) receives `config.yaml` (resolved),
`splits.json`, `metrics.csv`, `metrics.json` (test report, history, timing), `plots/` (curves, confusion),
`checkpoints/{best,last}.pt` and the artifact in `model/`. Every check on the input (empty dataset, single class,
window longer than every sequence, unknown labels, bad features) happens before the first epoch.
Models named `logreg` or `knn` run the scikit-learn baselines on the same split instead (no artifact).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from gestura.artifact import ModelBundle
from gestura.data.dataset import collate
from gestura.errors import ConfigError, InputError
from gestura.evaluation.metrics import evaluate
from gestura.evaluation.plots import plot_confusion, plot_curves
from gestura.io import read_json, write_json
from gestura.models import create_model
from gestura.training import distributed as D
from gestura.training.callbacks import Callback, Checkpoint, CSVLogger, EarlyStopping, PruningCallback
from gestura.training.config import TrainConfig, save_config
from gestura.training.run_folder import check_run_dir, open_run_dir, planned_run_dir, run_fingerprint
from gestura.training.trainer import FitConfig, FitData, fit, predict_loader
from gestura.training.transfer import transfer_fit

BASELINES = ("logreg", "knn")


@dataclass
class Prepared:
    """Everything `fit` and evaluation need, built and checked before training."""

    dataset: Any
    pipeline: Any
    labels: list[str]
    split: Any
    window: int
    stride: int
    train: Any
    val: Any
    test: Any


def make_run_dir(cfg: TrainConfig) -> Path:
    """`cfg.out_dir` if set, else `runs/<name>-<YYYYmmdd-HHMMSS>/`."""
    if cfg.out_dir:
        d = Path(cfg.out_dir)
    else:
        d = Path("runs") / f"{cfg.name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def load_training_data(cfg: TrainConfig) -> Any:
    """The dataset of `cfg.data.path`, checked: not empty, at least two classes.

    A feature store folder (`gestura data store`, format `store`, detected by its index) gives a `StoreData`
    whose sequences carry only ids and labels; its windows are streamed from the memory-mapped shards."""
    from gestura.data.formats import load_dataset
    from gestura.data.store import StoreData, is_store

    if not cfg.data.path:
        raise ConfigError("data.path: no dataset given (use --data PATH)")
    if cfg.data.format == "store" or (cfg.data.format is None and is_store(cfg.data.path)):
        ds: Any = StoreData(cfg.data.path)
    else:
        ds = load_dataset(cfg.data.path, format=cfg.data.format)
    if len(ds) == 0:
        raise InputError(f"{cfg.data.path}: empty dataset (no sequences)")
    labels = ds.labels
    if not labels:
        raise InputError(f"{cfg.data.path}: no labelled sequences")
    if len(labels) < 2:
        raise InputError(f"{cfg.data.path}: only one class ({labels[0]!r}); a classifier needs at least two")
    return ds


def make_pipeline(cfg: TrainConfig, sample: Any) -> Any:
    """The feature pipeline of the config, tried on one sequence so a schema/data mismatch fails early."""
    from gestura.features.pipeline import FeaturePipeline

    pipe = FeaturePipeline(cfg.features.schema_id, dict(cfg.features.params))
    feats, _ = pipe.frame_features(sample)
    if feats.ndim != 2 or feats.shape[1] != pipe.dim:
        raise InputError(f"{sample.source or sample.video_id}: features {feats.shape} do not match "
                         f"{cfg.features.schema_id} ({pipe.dim} per frame)")
    return pipe


def _store_pipeline(cfg: TrainConfig, data: Any) -> Any:
    """The store's pipeline, which must be the config's: stored features cannot be re-featurised or augmented."""
    from gestura.features.pipeline import FeaturePipeline

    want = FeaturePipeline(cfg.features.schema_id, dict(cfg.features.params)).to_dict()
    have = data.pipeline.to_dict()
    if want != have:
        raise ConfigError(f"features: {cfg.data.path} holds {have['schema']} {have['params']}, the config asks for "
                          f"{want['schema']} {want['params']}; pass --features {have['schema']} or rebuild the store")
    if cfg.augment.enabled or cfg.transfer.init_from:
        raise ConfigError(f"augment/transfer: {cfg.data.path} is a feature store; augmentation and --init-from "
                          "need the landmark dataset")
    return data.pipeline


def make_augment(cfg: TrainConfig) -> Any:
    """A `(seq, rng) -> seq` augmenter from `gestura.features.augment`, or None when disabled."""
    if not cfg.augment.enabled:
        return None
    import dataclasses

    from gestura.features.augment import AugmentConfig as AugmentParams
    from gestura.features.augment import augment_sequence

    known = {f.name for f in dataclasses.fields(AugmentParams)}
    if unknown := sorted(set(cfg.augment.params) - known):
        raise ConfigError(f"augment.params: unknown setting(s) {unknown}; valid: {sorted(known)}")
    params = AugmentParams(**cfg.augment.params)
    return lambda seq, rng: augment_sequence(seq, rng, params)


def prepare(cfg: TrainConfig, run_dir: Path | None = None) -> Prepared:
    """Load, split, featurise and window the data; every input error is raised here."""
    from gestura.data.dataset import WindowDataset, check_windows
    from gestura.data.splits import Split, make_default_split, make_split, working_group_keys

    ds = load_training_data(cfg)
    seqs = ds.sequences
    longest = max(s.n_frames for s in seqs)
    window = cfg.split.window or longest
    check_windows(seqs, window, cfg.data.path)
    stride = cfg.split.stride or max(1, window // 2)
    streamed = getattr(ds, "format", None) == "store"
    pipe = _store_pipeline(cfg, ds) if streamed else make_pipeline(cfg, seqs[0])
    if cfg.split.splits_file:
        split = Split.load(cfg.split.splits_file)
        known = {s.video_id for s in seqs}
        if missing := [i for i in split.train + split.val + split.test if i not in known][:3]:
            raise InputError(f"{cfg.split.splits_file}: ids not in {cfg.data.path}, e.g. {missing}")
        window = split.window or window
        stride = split.stride or stride
    else:
        split_opts: dict[str, Any] = dict(
            group_by=cfg.split.group_by, test_fraction=cfg.split.test_fraction, val_fraction=cfg.split.val_fraction,
            seed=cfg.seed, test_groups=cfg.split.test_groups, val_groups=cfg.split.val_groups, window=window,
            stride=stride, test_by=cfg.split.test_by)
        if cfg.split.group_by or cfg.split.test_groups or cfg.split.val_groups:
            split = make_split(seqs, **split_opts)
        else:  # the default grouping must not stop a new user whose classes are not all signed by everyone
            split, note = make_default_split(seqs, **split_opts)
            if note:
                print(note, file=sys.stderr)
    ids = [s.video_id for s in seqs]
    parts = {n: [s for s, keep in zip(seqs, split.part_of(ids, n)) if keep] for n in ("train", "val", "test")}
    labels = ds.labels
    missing_train = sorted(set(labels) - {lb for s in parts["train"] for lb in _seq_labels(s)})
    if missing_train:
        works = [] if cfg.split.splits_file else working_group_keys(seqs, **{**split_opts, "test_groups": None,
                                                                             "val_groups": None, "test_by": None})
        hint = f"--group-by {works[0]} keeps every class in training" if works else \
            "no grouping keeps every class in training; choose held-out groups that leave each class a sequence"
        raise InputError(f"{cfg.data.path}: class(es) {missing_train[:5]} have no training sequence under the "
                         f"split by {split.group_by}; {hint}")
    train: Any
    val: Any
    test: Any
    if streamed:
        from gestura.data.store import StoreFeatureDataset

        where = {n: np.flatnonzero(split.part_of(ids, n)).tolist() for n in ("train", "val", "test")}
        opts = dict(labels=labels, window=window, stride=stride, label_rule=cfg.split.label_rule)
        train = StoreFeatureDataset(ds, items=where["train"], max_per_class=cfg.data.max_per_class, seed=cfg.seed,
                                    **opts)
        val = StoreFeatureDataset(ds, items=where["val"], **opts) if len(where["val"]) else None
        test = StoreFeatureDataset(ds, items=where["test"], **opts)
        if len(train) == 0 or len(test) == 0:
            raise InputError(f"{cfg.data.path}: no labelled windows of {window} frames in the "
                             f"{'training' if len(train) == 0 else 'test'} split")
        return Prepared(ds, pipe, labels, split, window, stride, train, val, test)
    common = dict(pipeline=pipe, labels=labels, window=window, stride=stride, label_rule=cfg.split.label_rule)
    train = WindowDataset(parts["train"], augment=make_augment(cfg), max_per_class=cfg.data.max_per_class,
                          seed=cfg.seed, **common)
    val = WindowDataset(parts["val"], **common) if parts["val"] else None
    test = WindowDataset(parts["test"], **common)
    if len(train) == 0 or len(test) == 0:
        raise InputError(f"{cfg.data.path}: no labelled windows of {window} frames in the "
                         f"{'training' if len(train) == 0 else 'test'} split")
    return Prepared(ds, pipe, labels, split, window, stride, train, val, test)


def _seq_labels(seq: Any) -> set[str]:
    if seq.label is not None:
        return {str(seq.label)}
    return set() if seq.frame_labels is None else {str(x) for x in np.unique(seq.frame_labels)}


def run_title(run_dir: Path, cfg: TrainConfig) -> str:
    """A plot title naming the run (its folder's name, not a path), the model and the data set."""
    data = Path(str(cfg.data.path)).name if cfg.data.path else "?"
    return f"{Path(run_dir).name}: {cfg.model.name} on {data}"


def train_run(cfg: TrainConfig, trial: Any = None) -> Path:
    """Run one training job end to end; returns the run folder."""
    ctx = D.DistContext()
    if cfg.distributed:
        if not cfg.out_dir or cfg.transfer.init_from or cfg.model.name in BASELINES:
            raise ConfigError("--distributed needs --out (one run folder for all ranks) and a registered "
                              "model without --init-from")
        ctx = D.init_distributed()
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    np.random.seed(cfg.seed)
    prep = prepare(cfg)
    k = len(prep.labels)
    params = {**cfg.model.params, "input_dim": prep.pipeline.dim, "num_classes": k}
    model: torch.nn.Module | None = None
    if cfg.model.name not in BASELINES and not cfg.transfer.init_from:
        model = create_model(cfg.model.name, **params)  # a bad model spec fails before anything is written
    run_dir = planned_run_dir(cfg)
    fingerprint = run_fingerprint(prep, cfg)
    if ctx.is_main:
        check_run_dir(run_dir, cfg, fingerprint)
        open_run_dir(run_dir, cfg, fingerprint)
        save_config(cfg, run_dir / "config.yaml")
        prep.split.save(run_dir / "splits.json")
    else:
        (run_dir / "plots").mkdir(parents=True, exist_ok=True)
    if cfg.model.name in BASELINES:
        return _baseline_run(cfg, prep, run_dir)
    pruning: tuple[Callback, ...] = (PruningCallback(trial, cfg.tune.objective),) if trial is not None else ()
    t0 = time.perf_counter()
    if cfg.transfer.init_from:
        model, history, _ = transfer_fit(prep, cfg, run_dir, callbacks=pruning)
        k = len(prep.labels)
    else:
        ckpt_dir = run_dir / "checkpoints"
        early = EarlyStopping(cfg.schedule.patience)
        cbs = (early, CSVLogger(run_dir / "metrics.csv"), *pruning, Checkpoint(ckpt_dir, callbacks=[early]))
        resume = str(ckpt_dir / "last.pt") if cfg.resume else None
        assert model is not None  # built above for every non-baseline, non-transfer run
        history = fit(model, FitData(prep.train, prep.val, labels=prep.labels, collate=collate),
                      FitConfig.from_train_config(cfg, cbs, resume_from=resume), ctx=ctx).history
    train_seconds = time.perf_counter() - t0
    if ctx.distributed:
        D.cleanup()
        if not ctx.is_main:
            return run_dir  # rank 0 alone evaluates and writes metrics, plots and the artifact
    assert model is not None
    proba, y = predict_loader(model, DataLoader(prep.test, batch_size=256, collate_fn=collate))
    subjects = [prep.test.sequences[i].subject for i in prep.test.sequence_index]
    report = evaluate(y, proba, prep.labels, subjects=subjects if any(subjects) else None,
                      n_skipped=prep.test.n_skipped)
    plot_confusion(report.confusion, prep.labels, run_dir / "plots" / "confusion.png",
                   title=f"{run_title(run_dir, cfg)}: test accuracy {report.accuracy:.3f}")
    plot_curves(history.rows, run_dir / "plots" / "curves.png", title=run_title(run_dir, cfg))
    n_params = int(sum(p.numel() for p in model.parameters()))
    summary = _summary(cfg, prep, report.to_dict(), train_seconds, n_params)
    summary["history"] = history.to_dict()
    if cfg.transfer.init_from:
        summary["transfer"] = getattr(model, "transfer_info", {})
    write_json(run_dir / "metrics.json", summary)
    meta = {"data": summary["data"], "split": summary["split"], "n_parameters": n_params,
            "training": {"epochs": len(history.rows), "best_epoch": history.best_epoch, "seconds": train_seconds,
                         "seed": cfg.seed},
            "test": {k2: v for k2, v in report.to_dict().items() if k2 not in ("confusion", "per_subject")}}
    ModelBundle(model=model, pipeline=prep.pipeline, labels=prep.labels, window=prep.window, stride=prep.stride,
                meta=meta).save(run_dir / "model")
    _mlflow(cfg, summary)
    return run_dir


def _summary(cfg: TrainConfig, prep: Prepared, report: dict[str, Any], seconds: float,
             n_params: int | None) -> dict[str, Any]:
    return {
        "name": cfg.name,
        "model": cfg.model.name,
        "features": cfg.features.schema_id,
        "data": {"path": str(cfg.data.path), "format": prep.dataset.format, "n_sequences": len(prep.dataset),
                 "classes": len(prep.labels)},
        "split": {"group_by": prep.split.group_by, "test_groups": prep.split.groups.get("test", [])[:20],
                  "n_train_windows": len(prep.train), "n_val_windows": len(prep.val) if prep.val else 0,
                  "n_test_windows": len(prep.test), "window": prep.window, "stride": prep.stride},
        "test": report,
        "train_seconds": seconds,
        "n_parameters": n_params,
    }


def _baseline_run(cfg: TrainConfig, prep: Prepared, run_dir: Path) -> Path:
    from gestura.evaluation.baselines import fit_baseline
    t0 = time.perf_counter()
    xtr, mtr, ytr = prep.train.arrays()
    xte, mte, yte = prep.test.arrays()
    clf = fit_baseline(cfg.model.name, xtr, mtr, ytr, seed=cfg.seed, **cfg.model.params)
    proba = clf.predict_proba(xte, mte, n_classes=len(prep.labels))
    seconds = time.perf_counter() - t0
    subjects = [prep.test.sequences[i].subject for i in prep.test.sequence_index]
    report = evaluate(yte, proba, prep.labels, subjects=subjects if any(subjects) else None,
                      n_skipped=prep.test.n_skipped)
    plot_confusion(report.confusion, prep.labels, run_dir / "plots" / "confusion.png",
                   title=f"{run_title(run_dir, cfg)}: test accuracy {report.accuracy:.3f}")
    write_json(run_dir / "metrics.json", _summary(cfg, prep, report.to_dict(), seconds, None))
    return run_dir


def _mlflow(cfg: TrainConfig, summary: dict[str, Any]) -> None:
    if not cfg.mlflow:
        return
    try:
        import mlflow  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError("mlflow: true but mlflow is not installed") from None
    with mlflow.start_run(run_name=cfg.name):
        mlflow.log_params({"model": cfg.model.name, "features": cfg.features.schema_id, "seed": cfg.seed,
                           "lr": cfg.optim.lr})
        mlflow.log_metrics({"test_accuracy": summary["test"]["accuracy"],
                            "test_macro_f1": summary["test"]["macro_f1"]})


def read_metrics(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """`metrics.json` of a run folder."""
    return read_json(Path(run_dir) / "metrics.json")
