"""`bilstm`: a 2-layer bidirectional LSTM with attention pooling over a learned query.

Scores are scaled dot products between a learned query and a key projection of each frame's BiLSTM output;
softmax over real frames only; the pooled vector goes through LayerNorm, dropout and a linear head.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from gestura.models.base import GesturaModel
from gestura.models.layers import MaskedLSTM, compact
from gestura.models.registry import register_model


@dataclass(frozen=True)
class BiLSTMConfig:
    input_dim: int = 147
    num_classes: int = 10
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.3


class QueryAttentionPool(nn.Module):
    """Attention pooling with one learned query: `(B, T, D), (B, T) -> (B, D)`."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(dim) / math.sqrt(dim))
        self.key = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        s = (self.key(x) @ self.query) / math.sqrt(x.shape[-1])
        w = torch.softmax(s.masked_fill(~mask, -1e9), dim=1).unsqueeze(-1)
        return (w * x).sum(dim=1)


@register_model("bilstm", BiLSTMConfig)
class BiLSTMAttention(GesturaModel):
    """Input projection-free 2-layer BiLSTM -> learned-query attention pool -> LayerNorm -> head."""

    def __init__(self, cfg: BiLSTMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.rnn = MaskedLSTM(cfg.input_dim, cfg.hidden, num_layers=cfg.layers, batch_first=True, bidirectional=True,
                           dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.embed_dim = 2 * cfg.hidden
        self.pool = QueryAttentionPool(self.embed_dim)
        self.norm = nn.LayerNorm(self.embed_dim)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(self.embed_dim, cfg.num_classes)

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, 2 * hidden)`."""
        x, mask, lengths = compact(x, mask)
        h, _ = self.rnn(x, lengths)
        return self.norm(self.pool(h, mask))

    def forward_head(self, z: torch.Tensor) -> torch.Tensor:
        """`(B, 2 * hidden) -> (B, K)`: dropout (training only), then the linear head."""
        return self.head(self.drop(z))
