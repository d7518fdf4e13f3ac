"""Signer-invariance blocks: gradient reversal, FiLM, signer statistics, SupCon, decorrelation."""

from __future__ import annotations

import torch

from gestura.models.signer import FiLM, GradientReversal, SignerEncoder, decorrelation_loss, grad_reverse, masked_stats, supcon_loss


def test_gradient_reversal_flips_and_scales_gradients() -> None:
    x = torch.randn(5, 3, requires_grad=True)
    y = grad_reverse(x, 0.5)
    assert torch.equal(y, x)
    (y * torch.arange(3.0)).sum().backward()
    assert torch.allclose(x.grad, -0.5 * torch.arange(3.0).expand(5, 3))
    x2 = torch.randn(2, 4, requires_grad=True)
    GradientReversal(2.0)(x2).sum().backward()
    assert torch.allclose(x2.grad, torch.full((2, 4), -2.0))


def test_film_shapes_identity_at_init_and_conditioning() -> None:
    film = FiLM(cond_dim=8, dim=16)
    x, c = torch.randn(3, 7, 16), torch.randn(3, 8)
    assert torch.equal(film(x, c), x)
    torch.nn.init.normal_(film.proj.weight)
    y = film(x, c)
    assert y.shape == (3, 7, 16)
    assert not torch.allclose(y[0], y[1] * x[0] / x[1])
    assert film(torch.randn(3, 5, 2, 16), c).shape == (3, 5, 2, 16)


def test_masked_stats_ignore_padding_and_encoder_shape() -> None:
    x = torch.randn(2, 6, 4)
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    s = masked_stats(x, mask)
    assert s.shape == (2, 8)
    assert torch.allclose(s[1, :4], x[1, :3].mean(0), atol=1e-6)
    x2 = x.clone()
    x2[1, 3:] = 100.0
    assert torch.allclose(masked_stats(x2, mask), s)
    assert SignerEncoder(4, dim=64)(x, mask).shape == (2, 64)


def test_supcon_prefers_label_clustered_embeddings() -> None:
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    centres = torch.eye(3, 8) * 5
    clustered = centres[y] + 0.01 * torch.randn(6, 8)
    mixed = centres[torch.tensor([0, 1, 2, 0, 1, 2])] + 0.01 * torch.randn(6, 8)
    good, bad = supcon_loss(clustered, y, 0.1), supcon_loss(mixed, y, 0.1)
    assert torch.isfinite(good) and good < bad
    z = torch.randn(6, 8, requires_grad=True)
    supcon_loss(z, y).backward()
    assert torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    assert supcon_loss(torch.randn(3, 8), torch.tensor([0, 1, 2])) == 0


def test_decorrelation_loss_detects_shared_information() -> None:
    torch.manual_seed(0)
    a = torch.randn(512, 4)
    assert decorrelation_loss(a, a) > 10 * decorrelation_loss(a, torch.randn(512, 4))
