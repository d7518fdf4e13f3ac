"""Blocks for signer-invariant models: gradient reversal, FiLM, signer statistics, SupCon and an MI proxy.

Shared by `sca_stgcn` and usable by any model. Only the gradient-reversal path and the losses are training-time;
nothing here changes what `forward` returns, so ONNX export and the runtime never see them.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class _GradReverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, lam: float) -> torch.Tensor:  # type: ignore[override]
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        return -ctx.lam * grad, None


def grad_reverse(x: torch.Tensor, lam: float = 0.5) -> torch.Tensor:
    """Identity forward, gradient multiplied by `-lam` backward (Ganin & Lempitsky, 2015)."""
    return _GradReverse.apply(x, lam)


class GradientReversal(nn.Module):
    """`grad_reverse` as a module, so an adversarial head reads `nn.Sequential(GradientReversal(0.5), head)`."""

    def __init__(self, lam: float = 0.5) -> None:
        super().__init__()
        self.lam = lam

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.lam)


class FiLM(nn.Module):
    """Feature-wise linear modulation: `(1 + gamma(c)) * x + beta(c)`, starting as the identity.

    `x` is `(B, ..., D)`, `c` is `(B, Dc)`; gamma and beta broadcast over every middle axis.
    """

    def __init__(self, cond_dim: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * dim)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        gamma, beta = self.proj(c).chunk(2, dim=-1)
        shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
        return x * (1.0 + gamma.reshape(shape)) + beta.reshape(shape)


def masked_stats(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Per-window mean and standard deviation over real frames: `(B, T, F) -> (B, 2F)`.

    These pose statistics (body proportions, resting hand height, habitual motion range) carry the signer
    identity the signer encoder embeds.
    """
    if mask is None:
        mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
    keep = mask.to(torch.bool).unsqueeze(-1)
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    n = mask.to(x.dtype).sum(dim=1).unsqueeze(-1).clamp(min=1.0)
    mean = torch.where(keep, x, zero).sum(dim=1) / n
    var = torch.where(keep, (x - mean.unsqueeze(1)) ** 2, zero).sum(dim=1) / n
    return torch.cat([mean, torch.sqrt(var + 1e-6)], dim=-1)


class SignerEncoder(nn.Module):
    """Pose statistics of a window -> signer embedding: `(B, T, F), mask -> (B, dim)`."""

    def __init__(self, input_dim: int, dim: int = 64, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.LayerNorm(2 * input_dim), nn.Linear(2 * input_dim, hidden), nn.GELU(), nn.Linear(hidden, dim)
        )

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.net(masked_stats(x, mask))


def supcon_loss(z: torch.Tensor, y: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Supervised contrastive (InfoNCE) loss of Khosla et al. (2020) over a batch: `(B, D), (B,) -> ()`.

    Anchors with no positive in the batch are skipped; a batch with none gives 0 (with a gradient path).
    """
    z = F.normalize(z, dim=-1)
    logits = z @ z.t() / temperature
    b = z.shape[0]
    eye = torch.eye(b, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(eye, -1e9)
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    pos = (y.unsqueeze(0) == y.unsqueeze(1)) & ~eye
    n_pos = pos.sum(dim=1)
    has = n_pos > 0
    if not bool(has.any()):
        return z.sum() * 0.0
    mean_log_prob = (log_prob * pos).sum(dim=1)[has] / n_pos[has]
    return -mean_log_prob.mean()


def decorrelation_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mutual-information proxy: mean squared cross-correlation of two batches of embeddings `(B, Da), (B, Db)`.

    Zero cross-correlation is necessary (not sufficient) for independence; it is the cheap, stable stand-in for a
    learned MI estimator used by the `mi` variant of `sca_stgcn`.
    """
    a = (a - a.mean(dim=0)) / (a.std(dim=0, unbiased=False) + 1e-5)
    b = (b - b.mean(dim=0)) / (b.std(dim=0, unbiased=False) + 1e-5)
    c = a.t() @ b / a.shape[0]
    return (c**2).mean()
