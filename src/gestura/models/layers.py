"""Blocks shared by several architectures: masked pooling, attention pooling, positional encoding.

Masks are `(B, T)` bool tensors, True for real frames. A `None` mask means every frame is real.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn


def full_mask(x: torch.Tensor) -> torch.Tensor:
    """All-True `(B, T)` mask for `(B, T, ...)` input."""
    return torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over time of `(B, T, D)` using only real frames -> `(B, D)`."""
    if mask is None:
        return x.mean(dim=1)
    m = mask.to(x.dtype).unsqueeze(-1)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


def masked_max(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Max over time of `(B, T, D)` using only real frames -> `(B, D)`."""
    if mask is None:
        return x.max(dim=1).values
    return x.masked_fill(~mask.unsqueeze(-1), torch.finfo(x.dtype).min).max(dim=1).values


def last_valid(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The output at the last real frame of each sequence: `(B, T, D) -> (B, D)`."""
    if mask is None:
        return x[:, -1]
    idx = (mask.long().cumsum(dim=1).argmax(dim=1)).clamp(min=0)
    return x[torch.arange(x.shape[0], device=x.device), idx]


class AttentionPool(nn.Module):
    """Additive (Bahdanau) attention pooling: a scalar score per frame, softmax over real frames."""

    def __init__(self, dim: int, hidden: int | None = None) -> None:
        super().__init__()
        hidden = hidden or dim
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1, bias=False))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, D) -> (B, D)`."""
        s = self.score(x).squeeze(-1)
        if mask is not None:
            s = s.masked_fill(~mask, -1e9)
        w = torch.softmax(s, dim=1).unsqueeze(-1)
        return (w * x).sum(dim=1)


class SinusoidalPositionalEncoding(nn.Module):
    """Fixed sine/cosine positions added to `(B, T, D)` input (Vaswani et al.)."""

    def __init__(self, dim: int, max_len: int = 2048) -> None:
        super().__init__()
        pos = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, dim, 2) * (-math.log(10000.0) / dim))
        pe = torch.zeros(max_len, dim)
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div[: dim // 2])
        self.register_buffer("pe", pe, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]].unsqueeze(0)
