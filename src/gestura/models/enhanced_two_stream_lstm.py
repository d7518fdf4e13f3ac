"""`enhanced_two_stream_lstm`: the EnhancedTwoStreamLSTM, exactly as its diagram says.

Stream A = position + joint_angles (73 dims), stream B = fingertip_spread + wrist_trajectory + velocity +
wrist_vel_raw (74). Per stream: Linear + LayerNorm + GELU to 96; 2-layer BiLSTM (hidden 96) -> 192; LayerNorm;
8-head self-attention with a residual and post-LayerNorm; mean + max pooling *summed* into a 192-d context
with its own LayerNorm. Two-way cross-stream gate: each stream's context is gated by an MLP of the other's
(192 -> 96 Tanh -> 192 Sigmoid), added as a residual and LayerNormed (one gate and one LayerNorm per direction).
Head: LayerNorm(384) -> Linear(384, 192) -> GELU -> Dropout -> Linear(192, K).

This reading (summed mean + max pooling, no projection; two separate gates) gives exactly 1,208,554 trainable
parameters with 147 inputs and 10 classes; concatenating mean and max would need a 384 -> 192 projection and
overshoot by ~148K.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from gestura.models.base import GesturaModel
from gestura.models.layers import MaskedLSTM, compact, masked_max, masked_mean
from gestura.models.registry import register_model
from gestura.models.two_stream_lstm import stream_indices


@dataclass(frozen=True)
class EnhancedTwoStreamLSTMConfig:
    input_dim: int = 147
    num_classes: int = 10
    hidden: int = 96
    lstm_layers: int = 2
    heads: int = 8
    gate_hidden: int = 96
    dropout: float = 0.3
    stream_a: tuple[int, ...] | None = None


class _Encoder(nn.Module):
    def __init__(self, d_in: int, cfg: EnhancedTwoStreamLSTMConfig) -> None:
        super().__init__()
        h = cfg.hidden
        self.proj = nn.Sequential(nn.Linear(d_in, h), nn.LayerNorm(h), nn.GELU())
        self.rnn = MaskedLSTM(h, h, num_layers=cfg.lstm_layers, batch_first=True, bidirectional=True,
                           dropout=cfg.dropout if cfg.lstm_layers > 1 else 0.0)
        self.norm_rnn = nn.LayerNorm(2 * h)
        self.attn = nn.MultiheadAttention(2 * h, cfg.heads, dropout=cfg.dropout, batch_first=True)
        self.norm_attn = nn.LayerNorm(2 * h)
        self.norm_ctx = nn.LayerNorm(2 * h)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.proj(x), lengths)
        h = self.norm_rnn(h)
        a, _ = self.attn(h, h, h, key_padding_mask=~mask, need_weights=False)
        h = self.norm_attn(h + a)
        return self.norm_ctx(masked_mean(h, mask) + masked_max(h, mask))


class _Gate(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, dim), nn.Sigmoid())
        self.norm = nn.LayerNorm(dim)

    def forward(self, own: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        return self.norm(own + own * self.mlp(other))


@register_model("enhanced_two_stream_lstm", EnhancedTwoStreamLSTMConfig)
class EnhancedTwoStreamLSTM(GesturaModel):
    """Two BiLSTM + self-attention streams with a two-way cross-stream gate and an MLP head."""

    idx_a: torch.Tensor  # registered buffers are Tensors (nn.Module.__getattr__ says Tensor | Module)
    idx_b: torch.Tensor

    def __init__(self, cfg: EnhancedTwoStreamLSTMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        a, b = stream_indices(cfg.input_dim, cfg.stream_a)
        self.register_buffer("idx_a", torch.tensor(a), persistent=False)
        self.register_buffer("idx_b", torch.tensor(b), persistent=False)
        self.enc_a = _Encoder(len(a), cfg)
        self.enc_b = _Encoder(len(b), cfg)
        d = 2 * cfg.hidden
        self.gate_a = _Gate(d, cfg.gate_hidden)
        self.gate_b = _Gate(d, cfg.gate_hidden)
        self.embed_dim = 2 * d
        self.head = nn.Sequential(nn.LayerNorm(2 * d), nn.Linear(2 * d, d), nn.GELU(), nn.Dropout(cfg.dropout),
                                  nn.Linear(d, cfg.num_classes))

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, 384)`: the gated contexts of both streams."""
        x, mask, lengths = compact(x, mask)
        ca = self.enc_a(x[..., self.idx_a], mask, lengths)
        cb = self.enc_b(x[..., self.idx_b], mask, lengths)
        return torch.cat([self.gate_a(ca, cb), self.gate_b(cb, ca)], dim=-1)
