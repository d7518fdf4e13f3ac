"""The one training loop and the one fine-tuning recipe: learning, callbacks, seeds, schedules, re-heading."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.data import TensorDataset

from gestura.artifact import ModelBundle
from gestura.errors import ConfigError, InputError, SchemaError
from gestura.features.pipeline import FeaturePipeline
from gestura.models import create_model
from gestura.training.callbacks import Callback, TrainState
from gestura.training.finetune import FinetuneConfig, classifier, finetune, rehead
from gestura.training.trainer import FitConfig, FitData, fit

torch.set_num_threads(1)


def _toy(n: int = 96, k: int = 3, seed: int = 0, shift: float = 0.0) -> TensorDataset:
    """Separable clips: class c has feature 0 near c (+ noise) in every frame."""
    g = np.random.default_rng(seed)
    y = g.integers(0, k, n)
    x = (g.standard_normal((n, 5, 4)) * 0.2).astype(np.float32)
    x[:, :, 0] += y[:, None] + shift
    return TensorDataset(torch.from_numpy(x), torch.ones(n, 5, dtype=torch.bool), torch.from_numpy(y))


def _lstm(k: int = 3, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return create_model("lstm", input_dim=4, num_classes=k, units=(8,), dense=(8,))


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.epochs: list[int] = []

    def on_train_begin(self, state: TrainState) -> None:
        self.events.append("begin")

    def on_epoch_end(self, state: TrainState) -> None:
        self.events.append("epoch")
        self.epochs.append(state.epoch)
        assert "train_loss" in state.metrics and "val_accuracy" in state.metrics

    def on_train_end(self, state: TrainState) -> None:
        self.events.append("end")


def test_loss_decreases_and_the_toy_set_is_learnt() -> None:
    res = fit(_lstm(), FitData(_toy(), _toy(seed=1)), FitConfig(epochs=12, lr=0.02, batch_size=16))
    loss = res.history.column("train_loss")
    assert loss[-1] < 0.7 * loss[0]
    assert max(res.history.column("val_accuracy")) >= 0.9
    assert res.seconds > 0 and 1 <= res.history.best_epoch <= 12


def test_callbacks_are_called_in_order_every_epoch() -> None:
    rec = Recorder()
    fit(_lstm(), FitData(_toy(), _toy(seed=1)), FitConfig(epochs=3, batch_size=32, callbacks=(rec,)))
    assert rec.events == ["begin", "epoch", "epoch", "epoch", "end"] and rec.epochs == [0, 1, 2]


def test_the_same_seed_gives_the_same_run_and_another_seed_another() -> None:
    def run(seed: int) -> tuple[list[float], dict[str, torch.Tensor]]:
        model = _lstm(seed=0)
        res = fit(model, FitData(_toy(), _toy(seed=1)), FitConfig(epochs=3, batch_size=16, seed=seed))
        return res.history.column("train_loss"), model.state_dict()

    (la, wa), (lb, wb), (lc, _) = run(5), run(5), run(6)
    assert la == lb and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert la != lc


def test_a_skipped_batch_takes_no_step_and_restore_best_false_keeps_the_last_weights() -> None:
    model = _lstm()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    res = fit(model, FitData(_toy(), loss=lambda net, batch: None), FitConfig(epochs=2, batch_size=32))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert res.history.column("train_loss") == [0.0, 0.0]

    class Snapshot(Callback):
        def on_epoch_end(self, state: TrainState) -> None:
            self.last = {k: v.clone() for k, v in state.model.state_dict().items()}

    for restore in (False, True):
        snap, model = Snapshot(), _lstm()
        res = fit(model, FitData(_toy(), _toy(seed=1)), FitConfig(epochs=6, lr=0.05, batch_size=16,
                                                                   monitor="val_accuracy", restore_best=restore,
                                                                   callbacks=(snap,)))
        assert res.history.best_epoch < 6  # accuracy reaches its best before the last epoch
        assert all(torch.equal(snap.last[k], v) for k, v in model.state_dict().items()) == (not restore)


@pytest.mark.parametrize("schedule", ["onecycle", "cosine", "constant"])
def test_per_step_schedules_move_the_rate_and_constant_does_not(schedule: str) -> None:
    res = fit(_lstm(), FitData(_toy()), FitConfig(epochs=3, lr=0.01, batch_size=16, schedule=schedule))
    lrs = res.history.column("lr")
    if schedule == "constant":
        assert lrs == [0.01, 0.01, 0.01]
    else:
        assert len(set(lrs)) == 3 and lrs[-1] < 0.01


def test_unknown_schedule_is_one_line() -> None:
    with pytest.raises(ConfigError, match="schedule 'warm' unknown"):
        fit(_lstm(), FitData(_toy()), FitConfig(epochs=1, schedule="warm"))  # type: ignore[arg-type]


def _bundle(labels: list[str]) -> ModelBundle:
    model = _lstm(len(labels))
    fit(model, FitData(_toy(k=len(labels))), FitConfig(epochs=2, lr=0.02, batch_size=16))
    return ModelBundle(model=model, pipeline=FeaturePipeline("feature-schema-v1"), labels=labels, window=5)


def test_finetune_stage_a_changes_only_the_classifier() -> None:
    src = _bundle(["a", "b", "c"])
    data = FitData(_toy(k=4, seed=3, shift=0.3), labels=["c", "a", "new", "b"])
    res = finetune(src, data, FinetuneConfig(fit=FitConfig(epochs=0, lr=0.05, batch_size=16), stage_a_epochs=3))
    name, head = classifier(res.model)
    assert name == "head" and head.out_features == 4 and res.bundle.labels == ["c", "a", "new", "b"]
    old, new = src.model.state_dict(), res.model.state_dict()
    for key, v in old.items():
        if not key.startswith("head."):
            assert torch.equal(v, new[key]), key
    assert not torch.equal(new["head.weight"][[1, 3, 0]], old["head.weight"])  # the classifier did learn
    assert [r["stage"] for r in res.history.rows] == ["A", "A", "A"]
    assert res.bundle.model.cfg.num_classes == 4 and res.bundle.window == src.window


def test_finetune_stage_b_trains_the_backbone_slower_and_tags_the_stages() -> None:
    src = _bundle(["a", "b", "c"])
    res = finetune(src, FitData(_toy(seed=4), labels=["a", "b", "c"]),
                   FinetuneConfig(fit=FitConfig(epochs=2, lr=0.05, batch_size=16), stage_a_epochs=1,
                                  backbone_lr_mult=0.1))
    assert [r["stage"] for r in res.history.rows] == ["A", "B", "B"]
    assert any(not torch.equal(v, res.model.state_dict()[k]) for k, v in src.model.state_dict().items()
               if not k.startswith("head."))
    with pytest.raises(InputError, match="labels"):
        finetune(src, FitData(_toy()), FinetuneConfig())


def test_rehead_copies_shared_rows_and_is_seeded() -> None:
    src = _bundle(["a", "b", "c"])
    torch.manual_seed(1)
    net, shared = rehead(src.model, src.labels, ["b", "z", "a"])
    torch.manual_seed(1)
    again, _ = rehead(src.model, src.labels, ["b", "z", "a"])
    w_old, w_new = src.model.head.weight, net.head.weight
    assert shared == 2 and torch.equal(w_new[0], w_old[1]) and torch.equal(w_new[2], w_old[0])
    assert torch.equal(net.head.weight, again.head.weight)


class _Duck(nn.Module):
    """A model with the timm-style classifier contract and an MLP whose last layer is not `head`."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.body = nn.Linear(4, 6)
        self.fc = nn.Linear(6, k)
        self.other = nn.Linear(6, k)  # same size, not the classifier

    def get_classifier(self) -> nn.Module:
        return self.fc

    def reset_classifier(self, num_classes: int) -> None:
        self.fc = nn.Linear(6, num_classes)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.fc(torch.relu(self.body(x.mean(1))))


def test_the_classifier_contract_wins_over_the_old_rule() -> None:
    torch.manual_seed(0)
    duck = _Duck(3)
    assert classifier(duck)[0] == "fc"
    net, shared = rehead(duck, ["a", "b", "c"], ["c", "d"])
    assert net.fc.out_features == 2 and shared == 1 and torch.equal(net.fc.weight[0], duck.fc.weight[2])
    assert torch.equal(net.body.weight, duck.body.weight) and duck.fc.out_features == 3
    with pytest.raises(SchemaError, match="no classifier"):
        classifier(nn.Sequential(nn.Linear(4, 2)), 5)


class _MlpDuck(nn.Module):
    """`get_classifier()` returns an MLP head; `reset_classifier` replaces all of it."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.body = nn.Linear(4, 6)
        self.cls = nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, k))

    def get_classifier(self) -> nn.Module:
        return self.cls

    def reset_classifier(self, num_classes: int) -> None:
        self.cls = nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, num_classes))


def test_an_mlp_classifier_keeps_its_inner_layer_and_maps_its_output_rows() -> None:
    torch.manual_seed(0)
    duck = _MlpDuck(3)
    net, shared = rehead(duck, ["a", "b", "c"], ["b", "x", "y", "a"])
    assert shared == 2 and torch.equal(net.cls[0].weight, duck.cls[0].weight)
    assert torch.equal(net.cls[2].weight[0], duck.cls[2].weight[1]) and torch.equal(net.cls[2].bias[3],
                                                                                     duck.cls[2].bias[0])


def test_fit_clips_settings_are_checked(tmp_path) -> None:
    from gestura.data.streams import StreamWindowConfig, cut_stream_windows
    from gestura.data.synthetic import SubjectStyle, make_session
    from gestura.training.enroll import fit_clips

    clips = cut_stream_windows(make_session(["fist", "swiping_left"] * 2, SubjectStyle(subject="a"), seed=1),
                               StreamWindowConfig(stride_s=0.5))
    with pytest.raises(ConfigError, match="unknown setting"):
        fit_clips(clips, ["fist"], epoch=1)
    with pytest.raises(InputError, match="no training windows"):
        fit_clips(clips, ["nothing_like_this"], epochs=1)
    res = fit_clips(clips, ["fist", "swiping_left", "unknown"], model_params={"units": (4,), "dense": (4,)},
                    epochs=1)
    assert len(res.history.rows) == 1 and res.bundle.labels == ["fist", "swiping_left", "unknown"]
    assert dataclasses.asdict(res.bundle.model.cfg)["num_classes"] == 3
