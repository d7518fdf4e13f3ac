"""`lstm`: the stacked LSTM baseline (64-128-64 units, then dense 64-32 and the class head), any input width.

Padding never reaches the recurrence: real frames are moved to the front (`compact`) and run as packed
sequences (`MaskedLSTM`), so a window padded on either side gives the same output as the bare frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from gestura.models.base import GesturaModel
from gestura.models.layers import MaskedLSTM, compact
from gestura.models.registry import register_model


@dataclass(frozen=True)
class LSTMConfig:
    input_dim: int = 147
    num_classes: int = 10
    units: tuple[int, ...] = (64, 128, 64)
    dense: tuple[int, ...] = (64, 32)
    dropout: float = 0.0


@register_model("lstm", LSTMConfig)
class StackedLSTM(GesturaModel):
    """Stacked LSTMs (last state of the top one) -> ReLU dense layers -> logits."""

    def __init__(self, cfg: LSTMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        dims = (cfg.input_dim, *cfg.units)
        self.rnns = nn.ModuleList(MaskedLSTM(a, b, batch_first=True) for a, b in zip(dims[:-1], dims[1:]))
        layers: list[nn.Module] = []
        prev = cfg.units[-1]
        for d in cfg.dense:
            layers += [nn.Linear(prev, d), nn.ReLU(), nn.Dropout(cfg.dropout)]
            prev = d
        self.mlp = nn.Sequential(*layers)
        self.embed_dim = prev
        self.head = nn.Linear(prev, cfg.num_classes)

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, D)`: the top LSTM's state at the last real frame through the dense layers."""
        h, _, lengths = compact(x, mask)
        last = h
        for rnn in self.rnns:
            h, hn = rnn(h, lengths)
            last = hn[-1]
        return self.mlp(last)
