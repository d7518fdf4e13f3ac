"""`lstm`: seed 001's stacked LSTM (64-128-64 units, then dense 64-32 and the class head), any input width.

Padding never reaches the recurrence: real frames are moved to the front (`compact`) and packed, so a window
padded on either side gives the same output as the bare frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from gestura.models.registry import register_model


def compact(x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Move each row's real frames to the front in order: `(B, T, F), (B, T) -> (x', mask', lengths (B,))`.

    Rows with no real frame keep one (zeroed) frame so packing and attention stay defined; padded values (even
    NaN) never reach the model.
    """
    b, t = x.shape[:2]
    if mask is None:
        mask = torch.ones(b, t, dtype=torch.bool, device=x.device)
    mask = mask.to(torch.bool)
    order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)
    xs = torch.where(mask.unsqueeze(-1), x, torch.zeros((), dtype=x.dtype, device=x.device))
    xs = torch.gather(xs, 1, order.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    lengths = mask.sum(dim=1).clamp(min=1)
    new_mask = torch.arange(t, device=x.device).unsqueeze(0) < lengths.unsqueeze(1)
    return xs, new_mask, lengths


def run_packed(rnn: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run an LSTM on front-aligned `(B, T, F)` with `lengths` -> (outputs (B, T, H) zero-padded, h_n)."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, (h, _) = rnn(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h


@dataclass(frozen=True)
class LSTMConfig:
    input_dim: int = 147
    num_classes: int = 10
    units: tuple[int, ...] = (64, 128, 64)
    dense: tuple[int, ...] = (64, 32)
    dropout: float = 0.0


@register_model("lstm", LSTMConfig)
class StackedLSTM(nn.Module):
    """Stacked LSTMs (last state of the top one) -> ReLU dense layers -> logits."""

    def __init__(self, cfg: LSTMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        dims = (cfg.input_dim, *cfg.units)
        self.rnns = nn.ModuleList(nn.LSTM(a, b, batch_first=True) for a, b in zip(dims[:-1], dims[1:]))
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
            h, hn = run_packed(rnn, h, lengths)
            last = hn[-1]
        return self.mlp(last)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, K)` logits."""
        return self.head(self.embed(x, mask))
