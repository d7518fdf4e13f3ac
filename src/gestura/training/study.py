"""Shared Optuna studies: one study, many worker processes (or machines), resumable, with pruning.

Storage is named by one string: an SQLAlchemy URL (`sqlite:///study.db` here; `postgresql://user@host/db` or
`mysql+pymysql://...` on a cluster) or a path to an Optuna journal file (`study.journal`, safe on a shared
filesystem that supports file locks). Every worker opens the same study with `load_or_create_study` and calls
`optimize_shared`, which stops all workers once the study holds `n_trials` finished (complete or pruned) trials:
a restarted worker or study continues the count instead of starting over. `run_workers` starts K local copies of
one worker command; on several machines run the same command on each.

    python -m gestura.training.study --storage sqlite:///s.db --study NAME --objective pkg.mod:fn --trials 50
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, cast

from gestura.errors import ConfigError

URL_SCHEMES = ("sqlite", "postgresql", "mysql", "oracle", "mssql")
WORKER_ENV = "GESTURA_STUDY_WORKER"
FINISHED = ("COMPLETE", "PRUNED")


def open_storage(storage: str | os.PathLike[str]) -> Any:
    """An Optuna storage for a database URL or a journal-file path (created if missing)."""
    import optuna

    try:
        from optuna.storages.journal import JournalFileBackend, JournalStorage
    except ImportError:  # optuna 3.x
        from optuna.storages import JournalFileStorage as JournalFileBackend
        from optuna.storages import JournalStorage
    text = str(storage)
    scheme = text.split("://", 1)[0].split("+", 1)[0] if "://" in text else ""
    if scheme:
        if scheme not in URL_SCHEMES:
            raise ConfigError(f"--storage {text}: unknown database scheme {scheme!r} "
                              f"(use {', '.join(URL_SCHEMES)} or a journal file path)")
        kwargs = {"connect_args": {"timeout": 60}} if scheme == "sqlite" else {"pool_pre_ping": True}
        if scheme == "sqlite":
            db = Path(text.split(":///", 1)[-1])
            if not db.parent.is_dir():
                raise ConfigError(f"--storage {text}: folder {db.parent} does not exist")
        for attempt in range(6):
            try:
                return optuna.storages.RDBStorage(text, engine_kwargs=kwargs)
            except Exception as err:  # SQLAlchemy/driver errors differ by backend
                # Workers that start together race to create the schema of a new database: the loser retries.
                if attempt == 5:
                    raise ConfigError(f"--storage {text}: cannot open ({type(err).__name__}: "
                                      f"{str(err).splitlines()[0] if str(err) else ''})") from None
                time.sleep(0.2 * (attempt + 1))
    path = Path(text)
    if not path.parent.is_dir():
        raise ConfigError(f"--storage {path}: folder {path.parent} does not exist")
    return JournalStorage(JournalFileBackend(str(path)))


def load_or_create_study(storage: str | os.PathLike[str], name: str, *, direction: str = "maximize",
                         pruning: bool = True, seed: int | None = 0, n_warmup_steps: int = 2) -> Any:
    """Create the study or load it when it exists (resume). The TPE seed differs per worker (seed + worker
    index from `GESTURA_STUDY_WORKER`) so parallel workers do not propose the same first trials."""
    import optuna

    if direction not in ("maximize", "minimize"):
        raise ConfigError(f"study direction must be maximize or minimize, got {direction!r}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    worker = int(os.environ.get(WORKER_ENV, "0"))
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=n_warmup_steps) if pruning
              else optuna.pruners.NopPruner())
    sampler = optuna.samplers.TPESampler(seed=None if seed is None else seed + worker)
    checked = cast(Literal["maximize", "minimize"], direction)  # one of the two, checked above
    study = optuna.create_study(study_name=name, storage=open_storage(storage), direction=checked,
                                load_if_exists=True, sampler=sampler, pruner=pruner)
    if study.direction.name.lower() != direction:
        raise ConfigError(f"study {name!r} exists with direction {study.direction.name.lower()}, not {direction}")
    return study


def n_finished(study: Any) -> int:
    import optuna

    states = tuple(getattr(optuna.trial.TrialState, s) for s in FINISHED)
    return len(study.get_trials(deepcopy=False, states=states))


def optimize_shared(study: Any, objective: Callable[[Any], float], n_trials: int) -> int:
    """Run trials until the study (all workers together) has `n_trials` finished ones; returns how many this
    worker ran. Failed trials do not count, so a crashing objective is retried up to the budget."""
    import optuna

    if n_trials < 1:
        raise ConfigError(f"--trials must be >= 1, got {n_trials}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ran = 0

    def count(_study: Any, _trial: Any) -> None:
        nonlocal ran
        ran += 1

    if n_finished(study) < n_trials:
        states = tuple(getattr(optuna.trial.TrialState, s) for s in FINISHED)
        study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(n_trials, states=states), count],
                       catch=(ValueError, RuntimeError, ArithmeticError))
    return ran


def worker_command(storage: str, study: str, objective: str, n_trials: int, *, direction: str = "maximize",
                   pruning: bool = True, seed: int = 0) -> list[str]:
    """The command line of one worker (`python -m gestura.training.study ...`)."""
    cmd = [sys.executable, "-m", "gestura.training.study", "--storage", str(storage), "--study", study,
           "--objective", objective, "--trials", str(n_trials), "--direction", direction, "--seed", str(seed)]
    return cmd if pruning else [*cmd, "--no-pruning"]


def run_workers(command: Sequence[str], n_jobs: int, *, env: dict[str, str] | None = None,
                timeout: float | None = None) -> list[int]:
    """Start `n_jobs` copies of `command` at once (worker index in `GESTURA_STUDY_WORKER`), wait for all;
    returns their exit codes. `gestura tune --n-jobs K` re-runs itself this way with `--n-jobs 1`."""
    if n_jobs < 1:
        raise ConfigError(f"--n-jobs must be >= 1, got {n_jobs}")
    procs = [subprocess.Popen(list(command), env={**os.environ, **(env or {}), WORKER_ENV: str(i)})
             for i in range(n_jobs)]
    codes = []
    for p in procs:
        try:
            codes.append(p.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            p.kill()
            codes.append(p.wait())
    return codes


def resolve_objective(spec: str) -> Callable[[Any], float]:
    """`package.module:function` -> the function."""
    module, _, name = spec.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise ConfigError(f"--objective {spec}: cannot import ({err})") from None
    if not callable(fn):
        raise ConfigError(f"--objective {spec}: not callable")
    return fn


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gestura.training.study", description=__doc__.splitlines()[0])
    ap.add_argument("--storage", required=True)
    ap.add_argument("--study", required=True)
    ap.add_argument("--objective", required=True, help="module:function taking an optuna.Trial")
    ap.add_argument("--trials", type=int, required=True, help="finished trials the whole study should reach")
    ap.add_argument("--direction", default="maximize")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-pruning", action="store_true")
    args = ap.parse_args(argv)
    try:
        study = load_or_create_study(args.storage, args.study, direction=args.direction,
                                     pruning=not args.no_pruning, seed=args.seed)
        optimize_shared(study, resolve_objective(args.objective), args.trials)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
