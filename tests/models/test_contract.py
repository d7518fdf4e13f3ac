"""The model contract (`GesturaModel`) for every registered model: embedding, class head, reset, aux loss, export
path; and the masked recurrence layer against packed sequences."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from gestura.errors import ConfigError
from gestura.models import config_class, create_model, list_models, model_config
from gestura.models.base import GesturaModel
from gestura.models.layers import MaskedLSTM, compact

F, K = 63, 4
SMALL = {"hidden": 16, "d_model": 16, "heads": 2, "layers": 2, "channels": (16, 16), "dilations": (1, 2),
         "gru_hidden": 16, "signer_dim": 8, "attn_heads": 2, "units": (16, 8), "dense": (8,), "head_hidden": 8}


def _model(name: str, **extra: object) -> GesturaModel:
    fields = {f.name for f in dataclasses.fields(config_class(name))}
    torch.manual_seed(0)
    model = create_model(name, input_dim=F, num_classes=K, **{k: v for k, v in SMALL.items() if k in fields},
                         **extra)
    assert isinstance(model, GesturaModel)
    return model


def _padded_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Three rows: full, left padding, holes plus right padding; every padded frame holds NaN."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(3, 12, F, generator=g)
    mask = torch.ones(3, 12, dtype=torch.bool)
    mask[1, :5] = False
    mask[2, [1, 4, 5]] = False
    mask[2, 9:] = False
    x[~mask] = float("nan")
    return x, mask


@pytest.mark.parametrize("name", list_models())
def test_logits_are_the_head_of_the_embedding(name: str) -> None:
    model = _model(name).eval()
    x, mask = _padded_batch()
    with torch.no_grad():
        z = model.embed(x, mask)
        logits = model(x, mask)
        assert z.shape == (3, model.embed_dim) and torch.isfinite(z).all()
        torch.testing.assert_close(logits, model.get_classifier()(z))
    assert logits.shape == (3, K) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", list_models())
def test_reset_classifier_changes_only_the_head(name: str) -> None:
    model = _model(name).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    head_keys = {"head." + k if k else "head" for k in model.get_classifier().state_dict()}
    x, mask = _padded_batch(1)
    with torch.no_grad():
        z0 = model.embed(x, mask)
    model.reset_classifier(7)
    after = model.state_dict()
    assert set(after) == set(before)
    changed = {k for k in after if after[k].shape != before[k].shape or not torch.equal(after[k], before[k])}
    assert changed and changed <= head_keys
    assert all(after[k].shape[0] == 7 for k in changed)
    with torch.no_grad():
        torch.testing.assert_close(model.embed(x, mask), z0)
        assert model(x, mask).shape == (3, 7)
    cfg = model_config(model)
    assert cfg["params"]["num_classes"] == 7
    clone = create_model(name, **cfg["params"])
    clone.load_state_dict(after, strict=True)


def test_reset_classifier_refuses_a_bad_size() -> None:
    model = _model("lstm")
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ConfigError, match="num_classes"):
            model.reset_classifier(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(set(list_models()) - {"sca_stgcn"}))
def test_aux_loss_is_zero_by_default(name: str) -> None:
    model = _model(name).train()
    x, mask = _padded_batch()
    model(x, mask)
    aux = model.aux_loss(torch.zeros(3, dtype=torch.long))
    assert aux.shape == () and float(aux) == 0.0


@pytest.mark.parametrize("name", list_models())
def test_export_path_matches_the_torch_path_with_nan_padding(name: str) -> None:
    """The path the ONNX exporter traces gives the torch path's numbers, NaN in padded frames included."""
    model = _model(name).eval()
    x, mask = _padded_batch(2)
    with torch.no_grad():
        ref = model(x, mask)
        with model.exporting():
            assert all(m.export_mode for m in model.modules() if isinstance(m, MaskedLSTM))
            out = model(x, mask)
    assert not model.export_mode and not any(m.export_mode for m in model.modules() if isinstance(m, MaskedLSTM))
    assert torch.isfinite(ref).all()
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_exporting_restores_the_mode_after_an_error() -> None:
    model = _model("bilstm")
    with pytest.raises(RuntimeError), model.exporting():
        raise RuntimeError("exporter failed")
    assert not model.export_mode and not model.rnn.export_mode


@pytest.mark.parametrize("bidirectional,layers", [(False, 1), (False, 2), (True, 1), (True, 2)])
def test_masked_lstm_paths_equal_packed_sequences(bidirectional: bool, layers: int) -> None:
    torch.manual_seed(3)
    rnn = MaskedLSTM(5, 6, num_layers=layers, bidirectional=bidirectional, batch_first=True).eval()
    lengths = torch.tensor([7, 3, 1, 5])
    x = torch.randn(4, 7, 5)
    x[torch.arange(7).unsqueeze(0) >= lengths.unsqueeze(1)] = float("nan")  # never read
    clean = torch.nan_to_num(x, nan=0.0)
    with torch.no_grad():
        packed = pack_padded_sequence(clean, lengths, batch_first=True, enforce_sorted=False)
        ref_out, (ref_h, _) = torch.nn.LSTM.forward(rnn, packed)
        ref_out, _ = pad_packed_sequence(ref_out, batch_first=True, total_length=7)
        out, h = rnn(x, lengths)
        rnn.export_mode = True
        out_e, h_e = rnn(x, lengths)
    for a, b in ((out, ref_out), (h, ref_h), (out_e, ref_out), (h_e, ref_h)):
        assert torch.isfinite(a).all()
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_compact_moves_real_frames_to_the_front_in_order() -> None:
    x = torch.arange(6.0).reshape(1, 6, 1).repeat(2, 1, 1)
    x[:, 0] = float("nan")
    mask = torch.tensor([[False, True, False, True, True, False], [False] * 6])
    xs, new_mask, lengths = compact(x, mask)
    assert xs[0, :, 0].tolist() == [1.0, 3.0, 4.0, 0.0, 0.0, 0.0]
    assert xs[1, :, 0].tolist() == [0.0] * 6  # no real frame: one zeroed frame stands in
    assert lengths.tolist() == [3, 1] and new_mask.sum(dim=1).tolist() == [3, 1]


def test_only_gestura_models_can_be_registered() -> None:
    from gestura.models import register_model

    @dataclasses.dataclass(frozen=True)
    class Cfg:
        input_dim: int = 3

    with pytest.raises(TypeError, match="GesturaModel"):
        register_model("plain_module_for_test", Cfg)(torch.nn.Linear)
    assert "plain_module_for_test" not in list_models()
