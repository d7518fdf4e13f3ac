"""`transformer`: a temporal Transformer encoder (defaults d_model 256, 8 heads, 6 layers).

Frames are projected to `d_model`, given sinusoidal or learned positions (counted over real frames only, so
padding on either side changes nothing), encoded with a key-padding mask (pre-LN layers), mean-pooled over real
frames, LayerNormed and classified.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from gestura.errors import ConfigError
from gestura.models.base import GesturaModel
from gestura.models.layers import SinusoidalPositionalEncoding, compact, masked_mean
from gestura.models.registry import register_model


@dataclass(frozen=True)
class TransformerConfig:
    input_dim: int = 147
    num_classes: int = 10
    d_model: int = 256
    heads: int = 8
    layers: int = 6
    ff_mult: int = 4
    dropout: float = 0.1
    positional: str = "sinusoidal"
    max_len: int = 1024

    def __post_init__(self) -> None:
        if self.positional not in ("sinusoidal", "learned"):
            raise ValueError(f"positional must be sinusoidal|learned, got {self.positional!r}")
        if self.d_model % self.heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by heads {self.heads}")


class LearnedPositionalEncoding(nn.Module):
    """A learned position vector per frame index added to `(B, T, D)`."""

    def __init__(self, dim: int, max_len: int) -> None:
        super().__init__()
        self.pe = nn.Parameter(torch.zeros(max_len, dim))
        nn.init.normal_(self.pe, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.shape[1]].unsqueeze(0)


@register_model("transformer", TransformerConfig)
class TemporalTransformer(GesturaModel):
    """Linear input -> positions -> TransformerEncoder (padding-masked) -> masked mean -> LayerNorm -> head."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Linear(cfg.input_dim, cfg.d_model)
        self.pos: nn.Module = (SinusoidalPositionalEncoding(cfg.d_model, cfg.max_len) if cfg.positional == "sinusoidal"
                               else LearnedPositionalEncoding(cfg.d_model, cfg.max_len))
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.heads, cfg.ff_mult * cfg.d_model, cfg.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.embed_dim = cfg.d_model
        self.head = nn.Linear(cfg.d_model, cfg.num_classes)

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, d_model)`."""
        x, mask, lengths = compact(x, mask)
        if not self.export_mode:  # drop the all-padding tail (a data-dependent shape, so not under export)
            n = int(lengths.max())
            x, mask = x[:, :n], mask[:, :n]
        if x.shape[1] > self.cfg.max_len:
            raise ConfigError(f"transformer: window of {x.shape[1]} frames exceeds max_len {self.cfg.max_len}")
        h = self.encoder(self.pos(self.inp(x)), src_key_padding_mask=~mask)
        return self.norm(masked_mean(h, mask))

    def forward_head(self, z: torch.Tensor) -> torch.Tensor:
        """`(B, d_model) -> (B, K)`: dropout (training only), then the linear head."""
        return self.head(self.drop(z))
