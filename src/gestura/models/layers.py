"""Blocks shared by several architectures: compaction, masked recurrence, masked pooling, attention pooling,
positional encoding.

Masks are `(B, T)` bool tensors, True for real frames. A `None` mask means every frame is real. Padded or invalid
frames may hold anything, NaN included: they are selected away with `torch.where`, never multiplied by 0.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

_PAD_KEY = float(2**20)
"""Sort key offset of padded frames in `compact` (larger than any window, `gestura.limits.MAX_WINDOW`)."""


def compact(x: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Move each row's real frames to the front in order: `(B, T, F), (B, T) -> (x', mask', lengths (B,))`.

    Rows with no real frame keep one (zeroed) frame so recurrence and attention stay defined; padded values (even
    NaN) never reach the model. The order comes from an argsort of a unique key (real frames first, then by
    time), which equals a stable sort and exports to ONNX (a stable sort does not).
    """
    b, t = x.shape[:2]
    if mask is None:
        mask = torch.ones(b, t, dtype=torch.bool, device=x.device)
    mask = mask.to(torch.bool)
    steps = torch.arange(t, device=x.device).unsqueeze(0)
    key = (~mask).to(torch.float32) * _PAD_KEY + steps.to(torch.float32)
    order = torch.argsort(key, dim=1)
    xs = torch.where(mask.unsqueeze(-1), x, torch.zeros((), dtype=x.dtype, device=x.device))
    xs = torch.gather(xs, 1, order.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    lengths = mask.sum(dim=1).clamp(min=1)
    return xs, steps < lengths.unsqueeze(1), lengths


def zero_padding(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """`(B, T, D)` with every frame where `mask` `(B, T)` is False set to 0 (NaN there becomes 0 too)."""
    return torch.where(mask.to(torch.bool).unsqueeze(-1), x, torch.zeros((), dtype=x.dtype, device=x.device))


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over time of `(B, T, D)` using only real frames -> `(B, D)`."""
    if mask is None:
        return x.mean(dim=1)
    n = mask.to(x.dtype).sum(dim=1, keepdim=True).clamp(min=1.0)
    return zero_padding(x, mask).sum(dim=1) / n


def masked_max(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Max over time of `(B, T, D)` using only real frames -> `(B, D)`."""
    if mask is None:
        return x.max(dim=1).values
    return x.masked_fill(~mask.unsqueeze(-1), torch.finfo(x.dtype).min).max(dim=1).values


class MaskedLSTM(nn.LSTM):
    """An `nn.LSTM` (same parameters and state-dict keys) run over front-aligned sequences of given lengths.

    `forward(x (B, T, F), lengths (B,)) -> (outputs (B, T, H * dirs), h_n (layers * dirs, B, H))`, with outputs
    zero after each row's last real frame and h_n each direction's final state (the backward direction's at the
    first frame), exactly as a packed sequence gives them. Input frames past `lengths` are never read.

    Two paths compute the same numbers: in torch, packed sequences; with `export_mode` set (ONNX export), one
    single-layer `torch.lstm` per layer and direction on the padded batch, the backward direction on each row's
    real frames reversed in place, and padding selected away with `torch.where`.
    """

    export_mode: bool = False

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[override]
        if self.export_mode:
            return self._forward_padded(x, lengths)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, (h, _) = super().forward(packed)
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=x.shape[1])
        return out, h

    def _forward_padded(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.proj_size or not self.batch_first:
            raise ValueError("MaskedLSTM export path needs batch_first=True and proj_size=0")
        t = x.shape[1]
        steps = torch.arange(t, device=x.device).unsqueeze(0)
        last = (lengths - 1).clamp(min=0).unsqueeze(1)
        valid = (steps <= last).unsqueeze(-1)
        rev = torch.where(steps <= last, last - steps, steps).unsqueeze(-1)
        zero = torch.zeros((), dtype=x.dtype, device=x.device)
        h0 = x.new_zeros(1, x.shape[0], self.hidden_size)
        dirs = 2 if self.bidirectional else 1
        h_n, inp = [], torch.where(valid, x, zero)
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
                weights = [getattr(self, n + sfx) for n in names]
                src = inp if d == 0 else torch.gather(inp, 1, rev.expand(-1, -1, inp.shape[-1]))
                out, _, _ = torch.lstm(src, (h0, h0), weights, self.bias, 1, 0.0, False, False, True)
                out = torch.where(valid, out, zero)
                h_n.append(torch.gather(out, 1, last.unsqueeze(-1).expand(-1, 1, out.shape[-1])).squeeze(1))
                outs.append(out if d == 0 else torch.gather(out, 1, rev.expand(-1, -1, out.shape[-1])))
            inp = torch.cat(outs, dim=-1) if dirs > 1 else outs[0]
        return inp, torch.stack(h_n, dim=0)


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

    pe: torch.Tensor  # a registered buffer is a Tensor (nn.Module.__getattr__ says Tensor | Module)

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
