"""ST-GCN and SCA-STGCN: graph construction, shapes, padding invariance, debiasing losses, config errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gestura.errors import ConfigError
from gestura.landmarks.skeleton import HAND_21, TWO_HANDS_42, UPPER_BODY_HANDS_67
from gestura.models.registry import create_model, list_models, model_config
from gestura.models.sca_stgcn import masked_reverse
from gestura.models.stgcn import adjacency


@pytest.mark.parametrize("skel", [HAND_21, TWO_HANDS_42, UPPER_BODY_HANDS_67])
def test_adjacency_partitions_follow_the_skeleton(skel) -> None:
    a = adjacency(skel)
    assert a.shape == (3, skel.n_joints, skel.n_joints)
    assert np.array_equal(a[0], np.eye(skel.n_joints))
    child, parent = skel.edges[0]
    assert a[1, parent, child] > 0 and a[2, child, parent] > 0
    assert np.allclose(a[1].sum(0)[a[1].sum(0) > 0], 1.0)


def test_upper_body_graph_joins_hands_to_pose_wrists() -> None:
    a = adjacency(UPPER_BODY_HANDS_67)
    j = UPPER_BODY_HANDS_67.joints
    lw, plw = j.index("left_wrist"), j.index("pose_left_wrist")
    assert a[1, plw, lw] > 0


def test_both_models_registered() -> None:
    assert {"stgcn", "sca_stgcn"} <= set(list_models())


def _batch(f: int) -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    x = torch.randn(3, 10, f)
    mask = torch.ones(3, 10, dtype=torch.bool)
    mask[1, 7:] = False
    mask[2, 4:] = False
    return x, mask


@pytest.mark.parametrize("name,params", [
    ("stgcn", {}),
    ("stgcn", {"skeleton": "mediapipe-two-hands-42"}),
    ("sca_stgcn", {"gru_hidden": 32}),
    ("sca_stgcn", {"gru_hidden": 32, "conditioning": "film"}),
    ("sca_stgcn", {"gru_hidden": 32, "conditioning": "none", "skeleton": "mediapipe-upper-body-hands-67"}),
])  # fmt: skip
def test_joint_layout_forward_and_padding_invariance(name: str, params: dict) -> None:
    j = {"mediapipe-two-hands-42": 42, "mediapipe-upper-body-hands-67": 67}.get(params.get("skeleton", ""), 21)
    x, mask = _batch(j * 3)
    model = create_model(name, input_dim=j * 3, num_classes=4, channels=(8, 16), dilations=(1, 2), **params)
    assert model.backbone.input.lift is None
    model.eval()
    with torch.no_grad():
        out = model(x, mask)
        x2 = x.clone()
        x2[1, 7:] = 50.0
        x2[2, 4:] = -3.0
        assert out.shape == (3, 4) and torch.isfinite(out).all()
        assert torch.allclose(model(x2, mask), out, atol=1e-5)
        assert torch.allclose(model(x[2:, :4], None)[0], out[2], atol=1e-5)
        emb = model.embed(x, mask)
    assert emb.ndim == 2 and emb.shape[0] == 3
    assert model_config(model)["params"]["channels"] == (8, 16)


def test_non_joint_input_is_lifted() -> None:
    model = create_model("stgcn", input_dim=147, num_classes=3)
    assert model.backbone.input.lift is not None
    assert model(torch.randn(2, 6, 147)).shape == (2, 3)


def test_sca_stgcn_aux_losses_train_signer_invariance() -> None:
    x, mask = _batch(63)
    model = create_model("sca_stgcn", input_dim=63, num_classes=3, gru_hidden=16, channels=(8, 16), dilations=(1, 2),
                         adversarial=True, n_signers=2, supcon_weight=0.5, mi_weight=0.1)
    model.train()
    logits = model(x, mask)
    aux = model.aux_loss(torch.tensor([0, 1, 0]), torch.tensor([0, 1, 1]))
    assert torch.isfinite(aux) and set(model.last_aux) == {"adv", "supcon", "mi"}
    (logits.sum() + aux).backward()
    adv_last = model.adv_head[-1].weight.grad
    assert adv_last is not None and adv_last.abs().sum() > 0
    with pytest.raises(ConfigError, match="signer ids"):
        model(x, mask)
        model.aux_loss(torch.tensor([0, 1, 0]), None)
    assert model.signer_embed(x, mask).shape == (3, 64)


def test_sca_stgcn_config_errors() -> None:
    with pytest.raises(ConfigError, match="n_signers"):
        create_model("sca_stgcn", input_dim=63, num_classes=3, adversarial=True)
    with pytest.raises(ConfigError, match="conditioning"):
        create_model("sca_stgcn", input_dim=63, num_classes=3, conditioning="gate")
    with pytest.raises(ConfigError, match="skeleton"):
        create_model("stgcn", input_dim=63, num_classes=3, skeleton="nope")
    with pytest.raises(ConfigError, match="odd"):
        create_model("stgcn", input_dim=63, num_classes=3, temporal_kernel=4)


def test_masked_reverse_keeps_padding_in_place() -> None:
    x = torch.arange(5.0).view(1, 5, 1).repeat(2, 1, 1)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    r = masked_reverse(x, mask)[..., 0]
    assert r[0].tolist() == [4, 3, 2, 1, 0] and r[1].tolist() == [2, 1, 0, 3, 4]
    assert torch.equal(masked_reverse(r.unsqueeze(-1), mask), x)
