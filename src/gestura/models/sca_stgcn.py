"""SCA-STGCN: signer-conditioned attention over an ST-GCN backbone, for signs by people the model has not seen.

Pipeline per window: ST-GCN backbone `(B, T, F) -> (B, T, D)`; a signer encoder embeds per-window pose statistics
`(B, 2F) -> (B, 64)`; multi-head temporal attention conditioned on that embedding — `conditioning="bias"` adds a
signer-dependent offset to every query (a per-signer bias on the attention logits), `"film"` modulates the frame
features with FiLM before plain attention, `"none"` ignores the signer; a BiGRU (hidden 256) aggregates; a masked
mean gives the pooled embedding; a linear head gives logits.

Training-time extras (never part of `forward`'s output, so export and runtime are unaffected):
- `adversarial`: a signer classifier behind a gradient-reversal layer (lambda `grl_lambda`) pushes the pooled
  embedding towards signer invariance; needs `n_signers` and signer ids per sample (real or pseudo).
- `supcon_weight > 0`: supervised contrastive loss on a projection of the pooled embedding.
- `mi_weight > 0`: decorrelation of the pooled embedding from the signer embedding (an MI proxy).

The training hook: `forward` caches what the extras need while `self.training`; after it, the trainer adds
`model.aux_loss(y, signers)` to the cross-entropy (see `gestura.training.signer_losses.total_loss`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from gestura.errors import ConfigError
from gestura.models.base import GesturaModel
from gestura.models.layers import masked_mean, zero_padding
from gestura.models.registry import register_model
from gestura.models.signer import FiLM, GradientReversal, SignerEncoder, decorrelation_loss, supcon_loss
from gestura.models.stgcn import STGCNBackbone, STGCNConfig

CONDITIONINGS = ("bias", "film", "none")


def masked_reverse(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Reverse the real frames of each sequence in place, leaving end padding where it is: `(B, T, D)`."""
    if mask is None:
        return torch.flip(x, dims=[1])
    t = x.shape[1]
    lengths = mask.long().sum(dim=1, keepdim=True)
    ar = torch.arange(t, device=x.device).unsqueeze(0)
    idx = torch.where(ar < lengths, lengths - 1 - ar, ar)
    return torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))


class MaskedBiGRU(nn.Module):
    """Bidirectional GRU whose backward pass starts at each sequence's last real frame: `(B, T, D) -> (B, T, 2H)`."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fwd = nn.GRU(dim, hidden, batch_first=True)
        self.bwd = nn.GRU(dim, hidden, batch_first=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        f, _ = self.fwd(x)
        b, _ = self.bwd(masked_reverse(x, mask))
        return torch.cat([f, masked_reverse(b, mask)], dim=-1)


class SignerConditionedAttention(nn.Module):
    """Multi-head self-attention over frames with a signer-dependent query bias: `(B, T, D), (B, S) -> (B, T, D)`."""

    def __init__(self, dim: int, heads: int, signer_dim: int, conditioning: str, dropout: float) -> None:
        super().__init__()
        if dim % heads:
            raise ConfigError(f"sca_stgcn: attention dim {dim} is not divisible by attn_heads {heads}")
        self.h, self.dk, self.conditioning = heads, dim // heads, conditioning
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.q_bias = nn.Linear(signer_dim, dim) if conditioning == "bias" else None
        self.film = FiLM(signer_dim, dim) if conditioning == "film" else None

    def forward(self, x: torch.Tensor, s: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        b, t, d = x.shape
        h = self.film(x, s) if self.film is not None else x
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        if self.q_bias is not None:
            q = q + self.q_bias(s).unsqueeze(1)
        q, k, v = (z.reshape(b, t, self.h, self.dk).transpose(1, 2) for z in (q, k, v))
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.dk)
        if mask is not None:
            logits = logits.masked_fill(~mask[:, None, None, :], -1e9)
        att = self.drop(torch.softmax(logits, dim=-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        return self.norm(x + self.drop(self.out(y)))


@dataclass(frozen=True)
class SCASTGCNConfig(STGCNConfig):
    """The ST-GCN backbone's settings plus the signer-aware parts."""

    signer_dim: int = 64
    attn_heads: int = 4
    conditioning: str = "bias"
    gru_hidden: int = 256
    adversarial: bool = False
    n_signers: int = 0
    grl_lambda: float = 0.5
    adv_weight: float = 1.0
    supcon_weight: float = 0.0
    supcon_temperature: float = 0.1
    mi_weight: float = 0.0


@register_model("sca_stgcn", SCASTGCNConfig)
class SCASTGCN(GesturaModel):
    """ST-GCN + signer encoder + signer-conditioned attention + BiGRU + head, with optional debiasing losses."""

    def __init__(self, cfg: SCASTGCNConfig) -> None:
        super().__init__()
        if cfg.conditioning not in CONDITIONINGS:
            raise ConfigError(f"sca_stgcn: conditioning must be one of {CONDITIONINGS}, got {cfg.conditioning!r}")
        if cfg.adversarial and cfg.n_signers < 2:
            raise ConfigError(f"sca_stgcn: adversarial=True needs n_signers >= 2, got {cfg.n_signers}")
        self.cfg = cfg
        self.backbone = STGCNBackbone(cfg.input_dim, cfg.skeleton, cfg.in_channels, cfg.channels,
                                      cfg.temporal_kernel, cfg.dilations, cfg.dropout)
        d = self.backbone.out_dim
        self.signer = SignerEncoder(cfg.input_dim, cfg.signer_dim)
        self.attn = SignerConditionedAttention(d, cfg.attn_heads, cfg.signer_dim, cfg.conditioning, cfg.dropout)
        self.gru = MaskedBiGRU(d, cfg.gru_hidden)
        self.embed_dim = 2 * cfg.gru_hidden
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(self.embed_dim, cfg.num_classes)
        self.adv_head = (
            nn.Sequential(GradientReversal(cfg.grl_lambda), nn.Linear(self.embed_dim, 128), nn.ReLU(),
                          nn.Linear(128, cfg.n_signers))
            if cfg.adversarial else None
        )  # fmt: skip
        self.proj = nn.Sequential(nn.Linear(self.embed_dim, 128), nn.ReLU(), nn.Linear(128, 64)) \
            if cfg.supcon_weight > 0 else None
        self._cache: tuple[torch.Tensor, torch.Tensor] | None = None
        self.last_aux: dict[str, float] = {}

    def signer_embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F) -> (B, signer_dim)`: the signer embedding of each window."""
        return self.signer(x, mask)

    def _pooled(self, x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.signer(x, mask)
        h = self.attn(self.backbone(x, mask), s, mask)
        if mask is not None:
            h = zero_padding(h, mask)
        return masked_mean(self.gru(h, mask), mask), s

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F) -> (B, 2 * gru_hidden)` pooled embedding."""
        return self._pooled(x, mask)[0]

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, K)` logits."""
        z, s = self._pooled(x, mask)
        self._cache = (z, s) if self.training and torch.is_grad_enabled() else None
        return self.forward_head(z)

    def forward_head(self, z: torch.Tensor) -> torch.Tensor:
        """`(B, 2 * gru_hidden) -> (B, K)`: dropout (training only), then the linear head."""
        return self.head(self.drop(z))

    def aux_loss(self, y: torch.Tensor, signers: torch.Tensor | None = None) -> torch.Tensor:
        """Weighted sum of the enabled extra losses for the batch of the last training `forward` (scalar).

        `y` `(B,)` class ids, `signers` `(B,)` signer ids in `[0, n_signers)` (needed only when adversarial).
        """
        if self._cache is None:
            raise RuntimeError("aux_loss needs a preceding forward() in training mode with gradients enabled")
        z, s = self._cache
        total = z.sum() * 0.0
        self.last_aux = {}
        if self.adv_head is not None:
            if signers is None:
                raise ConfigError("sca_stgcn: adversarial=True but the batch has no signer ids")
            adv = F.cross_entropy(self.adv_head(z), signers)
            total = total + self.cfg.adv_weight * adv
            self.last_aux["adv"] = float(adv.detach())
        if self.proj is not None:
            sc = supcon_loss(self.proj(z), y, self.cfg.supcon_temperature)
            total = total + self.cfg.supcon_weight * sc
            self.last_aux["supcon"] = float(sc.detach())
        if self.cfg.mi_weight > 0:
            mi = decorrelation_loss(z, s)
            total = total + self.cfg.mi_weight * mi
            self.last_aux["mi"] = float(mi.detach())
        return total
