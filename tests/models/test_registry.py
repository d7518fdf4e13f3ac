"""Every registered model: forward/backward, finite outputs, padding invariance, safetensors round trip, counts."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from safetensors.torch import load_file, save_file

from gestura.errors import ConfigError
from gestura.models import config_class, create_model, list_models, model_config

OURS = {"lstm", "two_stream_lstm", "enhanced_two_stream_lstm", "bilstm", "transformer"}
SMALL = {"transformer": {"d_model": 32, "heads": 4, "layers": 2}}
F, K = 147, 5


def _model(name: str, **extra: object) -> torch.nn.Module:
    torch.manual_seed(0)
    return create_model(name, input_dim=F, num_classes=K, **{**SMALL.get(name, {}), **extra})


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


def test_all_issue_models_are_registered() -> None:
    assert OURS <= set(list_models())


@pytest.mark.parametrize("name", list_models())
def test_forward_backward_finite(name: str) -> None:
    model = _model(name).train()
    x = torch.randn(3, 12, F)
    mask = torch.ones(3, 12, dtype=torch.bool)
    mask[1, 8:] = False
    out = model(x, mask)
    assert out.shape == (3, K) and torch.isfinite(out).all()
    emb = model.embed(x, mask)
    assert emb.ndim == 2 and emb.shape[0] == 3 and torch.isfinite(emb).all()
    out.logsumexp(dim=1).sum().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


@pytest.mark.parametrize("name", list_models())
def test_right_padding_does_not_change_outputs(name: str) -> None:
    model = _model(name).eval()
    torch.manual_seed(1)
    x = torch.randn(1, 9, F)
    padded = torch.cat([x, 100 * torch.randn(1, 5, F)], dim=1)
    mask = torch.zeros(1, 14, dtype=torch.bool)
    mask[0, :9] = True
    with torch.no_grad():
        torch.testing.assert_close(model(padded, mask), model(x), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(OURS))
def test_left_padding_and_holes_do_not_change_outputs(name: str) -> None:
    model = _model(name).eval()
    torch.manual_seed(2)
    x = torch.randn(2, 10, F)
    junk = 50 * torch.randn(2, 16, F)
    junk[:, 1] = float("nan")
    mask = torch.zeros(2, 16, dtype=torch.bool)
    padded = junk.clone()
    padded[0, 6:] = x[0]
    mask[0, 6:] = True
    keep = torch.tensor([0, 2, 3, 5, 6, 8, 9, 11, 12, 15])
    padded[1, keep] = x[1]
    mask[1, keep] = True
    with torch.no_grad():
        torch.testing.assert_close(model(padded, mask), model(x), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("name", list_models())
def test_safetensors_round_trip(name: str, tmp_path) -> None:
    model = _model(name).eval()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, tmp_path / "m.safetensors")
    cfg = model_config(model)
    assert cfg["name"] == name
    torch.manual_seed(123)
    clone = create_model(name, **cfg["params"]).eval()
    clone.load_state_dict(load_file(tmp_path / "m.safetensors"))
    x = torch.randn(2, 7, F)
    with torch.no_grad():
        torch.testing.assert_close(clone(x), model(x))


@pytest.mark.parametrize("name,count", [
    ("enhanced_two_stream_lstm", 1_208_554),
    ("two_stream_lstm", 182_138),
    ("lstm", 210_090),
])  # fmt: skip
def test_parameter_counts_with_147_inputs_and_10_classes(name: str, count: int) -> None:
    assert _n_params(create_model(name, input_dim=147, num_classes=10)) == count


def test_any_input_width_and_embed_dims() -> None:
    for name in sorted(OURS):
        m = create_model(name, input_dim=30, num_classes=3, **SMALL.get(name, {})).eval()
        assert m(torch.randn(2, 5, 30)).shape == (2, 3)
    assert create_model("enhanced_two_stream_lstm").embed(torch.randn(1, 4, 147)).shape == (1, 384)


def test_unknown_model_or_parameter_is_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown model"):
        create_model("lstmm")
    with pytest.raises(ConfigError, match="unknown parameter"):
        create_model("lstm", input_dim=10, num_classes=2, hiden=3)
    with pytest.raises(ConfigError, match="bad parameters"):
        create_model("transformer", d_model=30, heads=4)
    with pytest.raises(ConfigError):
        create_model("two_stream_lstm", input_dim=10, stream_a=[0, 99])
    assert dataclasses.is_dataclass(config_class("bilstm"))


def test_two_stream_split_follows_the_v1_blocks() -> None:
    from gestura.features.schema import HAND_V1

    model = create_model("enhanced_two_stream_lstm")
    a, b = set(model.idx_a.tolist()), set(model.idx_b.tolist())
    blk = HAND_V1.blocks
    want_a = set(range(blk["position"].start, blk["position"].stop)) | set(
        range(blk["joint_angles"].start, blk["joint_angles"].stop))
    assert a == want_a and len(a) == 73 and len(b) == 74 and a | b == set(range(147))
    other = create_model("two_stream_lstm", input_dim=10, stream_a=(0, 1, 2))
    assert other.idx_a.tolist() == [0, 1, 2] and other.idx_b.tolist() == list(range(3, 10))
