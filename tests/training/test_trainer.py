"""The training loop: learning, early stopping, and exact resume from the last checkpoint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from gestura.models import create_model
from gestura.training.callbacks import Checkpoint, CSVLogger, EarlyStopping, load_checkpoint
from gestura.training.trainer import FitConfig, FitData, class_weights_from, fit


def _data(seed: int = 0) -> FitData:
    g = np.random.default_rng(seed)
    y = g.integers(0, 3, 120)
    x = g.standard_normal((120, 6, 4)).astype(np.float32) * 0.3
    x[:, :, 0] += y[:, None]  # learnable
    m = np.ones((120, 6), bool)
    ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(m), torch.from_numpy(y))
    return FitData(TensorDataset(*ds[:90]), TensorDataset(*ds[90:]))


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model("lstm", input_dim=4, num_classes=3, units=(8,), dense=(8,), dropout=0.2)


def test_learns_and_logs(tmp_path: Path) -> None:
    model = _model()
    hist = fit(model, _data(), FitConfig(lr=0.01, epochs=8, batch_size=16,
                                         callbacks=(CSVLogger(tmp_path / "m.csv"),))).history
    assert len(hist.rows) == 8 and hist.rows[-1]["val_accuracy"] > 0.6
    assert hist.rows[-1]["train_loss"] < hist.rows[0]["train_loss"]
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,train_loss") and len(lines) == 9


def test_early_stopping() -> None:
    hist = fit(_model(), _data(), FitConfig(lr=1e-9, epochs=30, monitor="val_accuracy", batch_size=16,
                                            callbacks=(EarlyStopping(2),))).history
    assert hist.stopped_early and len(hist.rows) < 30


def test_resume_equals_uninterrupted(tmp_path: Path) -> None:
    data = _data()
    full = FitConfig(lr=0.01, epochs=5, batch_size=16, seed=1)
    a = _model()
    early = EarlyStopping(10)
    ha = fit(a, data, replace(full, callbacks=(early, Checkpoint(tmp_path / "a", [early])))).history
    b = _model()
    early_b = EarlyStopping(10)
    fit(b, data, replace(full, epochs=3, callbacks=(early_b, Checkpoint(tmp_path / "b", [early_b]))))
    assert load_checkpoint(tmp_path / "b" / "last.pt")["epoch"] == 2
    c = _model()
    early_c = EarlyStopping(10)
    hc = fit(c, data, replace(full, callbacks=(early_c, Checkpoint(tmp_path / "b", [early_c])),
                              resume_from=str(tmp_path / "b" / "last.pt"))).history
    assert [r["train_loss"] for r in hc.rows] == pytest.approx([r["train_loss"] for r in ha.rows], rel=1e-6)
    for (k, va), vc in zip(a.state_dict().items(), c.state_dict().values()):
        torch.testing.assert_close(va, vc, msg=k)


def test_class_weights() -> None:
    w = class_weights_from(np.array([0, 0, 0, 1]), 3)
    assert w[1] > w[0] > 0 and w[2] == 0


def test_adversarial_signer_loss_trains_through_fit() -> None:
    """A 4th batch item (signer ids) reaches the model's aux_loss; the GRL head then trains inside `fit`."""
    g = np.random.default_rng(0)
    y = g.integers(0, 3, 64)
    x = g.standard_normal((64, 6, 63)).astype(np.float32)
    signers = g.integers(0, 2, 64)
    ds = TensorDataset(torch.from_numpy(x), torch.from_numpy(np.ones((64, 6), bool)), torch.from_numpy(y),
                       torch.from_numpy(signers))
    torch.manual_seed(0)
    model = create_model("sca_stgcn", input_dim=63, num_classes=3, channels=(8,), dilations=(1,), signer_dim=8,
                         gru_hidden=8, adversarial=True, n_signers=2)
    head_before = [p.detach().clone() for p in model.adv_head.parameters()]
    fit(model, FitData(DataLoader(ds, batch_size=16)), FitConfig(lr=0.01, epochs=1))
    assert any(not torch.equal(a, b) for a, b in zip(head_before, model.adv_head.parameters()))
    with pytest.raises(Exception, match="no signer ids"):
        fit(model, FitData(DataLoader(TensorDataset(*ds[:][:3]), batch_size=16)), FitConfig(epochs=1))
