"""How models with extra training losses plug into any training loop.

A model may define `aux_loss(y, signers=None) -> scalar tensor`, computed from what its last training-mode
`forward` cached. The trainer's loss line becomes:

    loss = total_loss(model, logits, y, criterion, signers)

with `signers` the batch's signer ids (LongTensor `(B,)`, real `recorded_by` or K-means pseudo signers) or None.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn


def total_loss(model: nn.Module, logits: torch.Tensor, y: torch.Tensor,
               criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
               signers: torch.Tensor | None = None) -> torch.Tensor:
    """`criterion(logits, y)` plus `model.aux_loss(y, signers)` when the model has one and is training."""
    loss = criterion(logits, y)
    aux = getattr(model, "aux_loss", None)
    if aux is not None and model.training and torch.is_grad_enabled():
        loss = loss + aux(y, signers)
    return loss
