"""`two_stream_lstm`: the earlier TwoStreamGestureLSTM (two LSTM streams over feature blocks).

The 147-d feature-schema-v1 frame splits into stream A = position + joint_angles (73) and stream B = the other
74 columns (for another width: first half / second half). Each stream: a unidirectional LSTM (hidden 96), a
Bahdanau scalar attention pool and a mean pool over real frames; the four pooled vectors are concatenated
(384) -> Linear(384, 80) -> ReLU -> Dropout -> Linear(80, K). 182,138 trainable parameters with 147 inputs and
10 classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from gestura.errors import ConfigError
from gestura.features.schema import HAND_V1
from gestura.models.base import GesturaModel
from gestura.models.layers import AttentionPool, MaskedLSTM, compact, masked_mean
from gestura.models.registry import register_model


def _rng(name: str) -> list[int]:
    s = HAND_V1.blocks[name]
    return list(range(s.start, s.stop))


V1_STREAM_A = tuple(_rng("position") + _rng("joint_angles"))
V1_STREAM_B = tuple(_rng("fingertip_spread") + _rng("wrist_trajectory") + _rng("velocity") + _rng("wrist_vel_raw"))


def stream_indices(input_dim: int, stream_a: tuple[int, ...] | None) -> tuple[list[int], list[int]]:
    """Column indices of streams A and B: the v1 split for 147 inputs, else halves, or explicit `stream_a`."""
    if stream_a is None:
        if input_dim == HAND_V1.dim:
            return list(V1_STREAM_A), list(V1_STREAM_B)
        if input_dim < 2:
            raise ConfigError(f"two-stream models need input_dim >= 2, got {input_dim}")
        half = input_dim // 2
        return list(range(half)), list(range(half, input_dim))
    a = sorted(set(int(i) for i in stream_a))
    if not a or a[0] < 0 or a[-1] >= input_dim or len(a) == input_dim:
        raise ConfigError(f"stream_a must be a proper subset of range({input_dim}), got {len(a)} indices")
    return a, [i for i in range(input_dim) if i not in set(a)]


@dataclass(frozen=True)
class TwoStreamLSTMConfig:
    input_dim: int = 147
    num_classes: int = 10
    hidden: int = 96
    head_hidden: int = 80
    dropout: float = 0.3
    stream_a: tuple[int, ...] | None = None


class _Stream(nn.Module):
    def __init__(self, d_in: int, hidden: int) -> None:
        super().__init__()
        self.rnn = MaskedLSTM(d_in, hidden, batch_first=True)
        self.attn = AttentionPool(hidden)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x, lengths)
        return torch.cat([self.attn(h, mask), masked_mean(h, mask)], dim=-1)


@register_model("two_stream_lstm", TwoStreamLSTMConfig)
class TwoStreamGestureLSTM(GesturaModel):
    """Two unidirectional LSTM streams, attention + mean pooling each, concatenated into an MLP head."""

    idx_a: torch.Tensor  # registered buffers are Tensors (nn.Module.__getattr__ says Tensor | Module)
    idx_b: torch.Tensor

    def __init__(self, cfg: TwoStreamLSTMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        a, b = stream_indices(cfg.input_dim, cfg.stream_a)
        self.register_buffer("idx_a", torch.tensor(a), persistent=False)
        self.register_buffer("idx_b", torch.tensor(b), persistent=False)
        self.stream_a = _Stream(len(a), cfg.hidden)
        self.stream_b = _Stream(len(b), cfg.hidden)
        self.embed_dim = 4 * cfg.hidden
        self.head = nn.Sequential(nn.Linear(self.embed_dim, cfg.head_hidden), nn.ReLU(), nn.Dropout(cfg.dropout),
                                  nn.Linear(cfg.head_hidden, cfg.num_classes))

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, 4 * hidden)`."""
        x, mask, lengths = compact(x, mask)
        return torch.cat([self.stream_a(x[..., self.idx_a], mask, lengths),
                          self.stream_b(x[..., self.idx_b], mask, lengths)], dim=-1)
