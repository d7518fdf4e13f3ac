"""`gestura tune`: an Optuna study over the search space declared in the run config (`tune.space`).

Each trial is one `train_run` in `<out>/trial-NNN/` with the sampled settings (dotted config keys, e.g.
`optim.lr`, `model.params.hidden_dim`); the objective is the best validation score (never the test split),
reported per epoch so the median pruner can stop hopeless trials. The study lives in SQLite in the study folder
(`study.db`) unless `tune.storage` names another URL, so an interrupted study continues where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gestura.errors import ConfigError
from gestura.io import write_json
from gestura.training.config import TrainConfig, _validate, apply_override
from gestura.training.run import make_run_dir, prepare, read_metrics, train_run
from gestura.training.study import load_or_create_study, optimize_shared


def sample(trial: Any, cfg: TrainConfig) -> dict[str, Any]:
    """Draw one value per declared search dimension."""
    out: dict[str, Any] = {}
    for key, sp in cfg.tune.space.items():
        if sp.type == "categorical":
            if not sp.choices:
                raise ConfigError(f"tune.space.{key}: categorical needs choices")
            out[key] = trial.suggest_categorical(key, sp.choices)
        elif sp.low is None or sp.high is None or sp.low >= sp.high:
            raise ConfigError(f"tune.space.{key}: needs low < high")
        elif sp.type == "int":
            out[key] = trial.suggest_int(key, int(sp.low), int(sp.high), log=sp.log)
        else:
            out[key] = trial.suggest_float(key, float(sp.low), float(sp.high), log=sp.log)
    return out


def trial_config(cfg: TrainConfig, values: dict[str, Any], out_dir: Path) -> TrainConfig:
    """The run config with sampled values set (each key must exist) and the trial folder as out_dir."""
    data = cfg.to_dict()
    for key, value in values.items():
        apply_override(data, f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
    data["out_dir"] = str(out_dir)
    data["resume"] = False
    return _validate(data, "tune.space")


def tune_run(cfg: TrainConfig) -> dict[str, Any]:
    """Run the study; returns `{"value", "params", "dir", "trials"}` and writes `best.json` in the study folder."""
    import optuna

    base = make_run_dir(cfg.model_copy(update={"name": f"tune-{cfg.name}"}))
    prepare(cfg)  # every input error before the first trial
    for key in cfg.tune.space:
        apply_override(cfg.to_dict(), f"{key}=0")
    storage = cfg.tune.storage or f"sqlite:///{(base / 'study.db').resolve()}"
    study = load_or_create_study(storage, cfg.tune.study or cfg.name, direction="maximize",
                                 pruning=cfg.tune.pruning, seed=cfg.seed)

    def objective(trial: optuna.Trial) -> float:
        tcfg = trial_config(cfg, sample(trial, cfg), base / f"trial-{trial.number:03d}")
        run_dir = train_run(tcfg, trial=trial)
        rows = read_metrics(run_dir)["history"]["rows"]
        return max(float(r.get(cfg.tune.objective, 0.0)) for r in rows)

    optimize_shared(study, objective, cfg.tune.trials)  # all workers together stop at tune.trials
    best = study.best_trial
    result = {"value": float(best.value), "params": best.params, "dir": str(base),
              "trials": len(study.trials), "objective": cfg.tune.objective}
    write_json(base / "best.json", result)
    return result
