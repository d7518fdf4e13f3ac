"""Shared Optuna study: two worker processes on one SQLite (and one journal) study, pruning, resume."""

from __future__ import annotations

import sys
import textwrap

import pytest

from gestura.errors import ConfigError
from gestura.training.study import load_or_create_study, n_finished, open_storage, run_workers, worker_command

optuna = pytest.importorskip("optuna")

OBJECTIVE = textwrap.dedent('''
    import os
    import pathlib
    import time


    def wait_for_workers():
        """With TOY_WORKERS=n, hold each trial until n workers have started (so every worker takes part)."""
        want = int(os.environ.get("TOY_WORKERS", "0"))
        ready = pathlib.Path(__file__).with_name("ready")
        ready.mkdir(exist_ok=True)
        (ready / os.environ["GESTURA_STUDY_WORKER"]).touch()
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < want and time.monotonic() < deadline:
            time.sleep(0.05)


    def objective(trial):
        wait_for_workers()
        x = trial.suggest_float("x", -4.0, 4.0)
        trial.set_user_attr("worker", os.environ["GESTURA_STUDY_WORKER"])
        value = 0.0
        for step in range(6):
            value = -((x - 1.0) ** 2) - 0.1 * (5 - step)
            trial.report(value, step)
            if trial.should_prune():
                import optuna
                raise optuna.TrialPruned()
        return value
''')


@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_two_workers_share_one_study_and_a_restart_resumes_it(tmp_path, kind):
    (tmp_path / "toy_objective.py").write_text(OBJECTIVE)
    storage = f"sqlite:///{tmp_path / 'study.db'}" if kind == "sqlite" else str(tmp_path / "study.journal")
    env = {"PYTHONPATH": str(tmp_path), "TOY_WORKERS": "2"}
    cmd = worker_command(storage, "toy", "toy_objective:objective", n_trials=12, seed=1)
    assert run_workers(cmd, 2, env=env, timeout=240) == [0, 0]
    study = load_or_create_study(storage, "toy")
    trials = study.get_trials(deepcopy=False)
    assert 12 <= n_finished(study) <= 13  # a worker may finish one trial past the shared budget
    assert {t.user_attrs["worker"] for t in trials} == {"0", "1"}
    assert len({round(t.params["x"], 9) for t in trials}) == len(trials)  # workers did not repeat proposals
    assert abs(study.best_params["x"] - 1.0) < 2.0

    # Resume: a larger budget continues the same study; the earlier trials stay.
    before = n_finished(study)
    assert run_workers(worker_command(storage, "toy", "toy_objective:objective", n_trials=before + 3), 1,
                       env=env, timeout=240) == [0]
    assert n_finished(load_or_create_study(storage, "toy")) == before + 3


def test_pruning_stops_hopeless_trials_in_process(tmp_path):
    study = load_or_create_study(str(tmp_path / "p.journal"), "p", seed=0)
    sys.path.insert(0, str(tmp_path))
    try:
        (tmp_path / "toy_objective2.py").write_text(OBJECTIVE)
        import os

        os.environ.setdefault("GESTURA_STUDY_WORKER", "0")
        from toy_objective2 import objective  # type: ignore[import-not-found]

        from gestura.training.study import optimize_shared

        assert optimize_shared(study, objective, 15) == 15
    finally:
        sys.path.remove(str(tmp_path))
    states = [t.state.name for t in study.trials]
    assert states.count("PRUNED") >= 1 and states.count("COMPLETE") >= 3


def test_bad_storage_and_direction_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown database scheme 'redis'"):
        open_storage("redis://localhost/0")
    with pytest.raises(ConfigError, match="does not exist"):
        open_storage(str(tmp_path / "missing" / "x.journal"))
    with pytest.raises(ConfigError, match="direction"):
        load_or_create_study(str(tmp_path / "j.journal"), "s", direction="up")
    load_or_create_study(str(tmp_path / "j.journal"), "s", direction="maximize")
    with pytest.raises(ConfigError, match="exists with direction maximize"):
        load_or_create_study(str(tmp_path / "j.journal"), "s", direction="minimize")
