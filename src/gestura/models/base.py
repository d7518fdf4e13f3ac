"""The contract every registered model keeps, so callers never guess attribute names (timm's pattern).

A `GesturaModel` maps features `x (B, T, F)` and a frame mask `(B, T)` (True = real frame, None = all real) to
logits `(B, K)` in two readable steps:

- `embed(x, mask) -> (B, embed_dim)`: the pooled feature before the class head (few-shot prototypes use it);
- `forward_head(z) -> (B, K)`: the class head (plus any dropout in front of it), so in eval mode
  `model(x, mask) == model.get_classifier()(model.embed(x, mask))`.

`get_classifier()` is the module that maps the embedding to logits; `reset_classifier(n)` gives that module a new
output layer for `n` classes (its hidden layers and the whole backbone are kept, the way fine-tuning wants them).
`aux_loss(y, signers)` is an extra training loss (zero unless a model adds one). `export_mode` switches every layer
that has an exportable path (e.g. `MaskedLSTM`) to it; `exporting()` is the scoped form the ONNX exporter uses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn as nn

from gestura.errors import ConfigError


class GesturaModel(nn.Module):
    """Base class of every registered model: embedding, class head, auxiliary loss, export switch."""

    cfg: Any
    embed_dim: int
    head: nn.Module
    registry_name: str

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, embed_dim)` pooled embedding before the head."""
        raise NotImplementedError

    def forward_head(self, z: torch.Tensor) -> torch.Tensor:
        """`(B, embed_dim) -> (B, K)` logits (models with dropout before the head override this)."""
        return self.head(z)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F), (B, T) -> (B, K)` logits."""
        return self.forward_head(self.embed(x, mask))

    # ------------------------------------------------------------------ classifier
    def get_classifier(self) -> nn.Module:
        """The class head: the module that maps `embed(...)` to logits."""
        return self.head

    def reset_classifier(self, num_classes: int) -> None:
        """Give the head a freshly initialised output layer for `num_classes` classes; everything else (the
        backbone and any hidden head layers) keeps its weights. `cfg.num_classes` follows, so the model saves and
        rebuilds with its new size."""
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ConfigError(f"{type(self).__name__}: num_classes must be a whole number >= 1, got {num_classes!r}")
        holder, name, old = _output_layer(self.head)
        new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
        new = new.to(device=old.weight.device, dtype=old.weight.dtype)
        if holder is None:
            self.head = new
        else:
            holder._modules[name] = new
        self.cfg = dataclasses.replace(self.cfg, num_classes=num_classes)

    # ------------------------------------------------------------------ training extras
    def aux_loss(self, y: torch.Tensor, signers: torch.Tensor | None = None) -> torch.Tensor:
        """Extra training loss for the last training-mode `forward` (a scalar; zero for most models)."""
        p = next(self.parameters(), None)
        return torch.zeros((), device=p.device if p is not None else None)

    # ------------------------------------------------------------------ export
    @property
    def export_mode(self) -> bool:
        """True while the model runs its exportable path (plain tensor ops, no packed sequences)."""
        return bool(self.__dict__.get("_export_mode", False))

    @export_mode.setter
    def export_mode(self, flag: bool) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "export_mode"):
                setattr(m, "export_mode", bool(flag))
        self.__dict__["_export_mode"] = bool(flag)

    @contextmanager
    def exporting(self) -> Iterator[GesturaModel]:
        """`with model.exporting(): torch.onnx.export(...)`: export mode on, restored afterwards."""
        before = self.export_mode
        self.export_mode = True
        try:
            yield self
        finally:
            self.export_mode = before


def _output_layer(head: nn.Module) -> tuple[nn.Module | None, str, nn.Linear]:
    """(parent, attribute name, layer) of the head's last `nn.Linear`; parent None when the head is one Linear."""
    if isinstance(head, nn.Linear):
        return None, "", head
    last: tuple[nn.Module | None, str, nn.Linear] | None = None
    for parent in head.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.Linear):
                last = (parent, name, child)
    if last is None:
        raise ConfigError(f"head {type(head).__name__} has no Linear output layer to reset")
    return last
