"""Losses for the landmark CNN: Wing loss on coordinates, BCE on per-landmark confidence.

Wing loss (Feng et al. 2018) is `w * ln(1 + |d| / eps)` for `|d| < w`, else `|d| - C`; it was tuned (w=10,
eps=2) for errors measured in pixels. On crop-normalised coordinates (errors of 0.01-0.1) every error falls deep
in the log region and the loss degenerates to `(w / eps) * |d|`, a scaled L1. So coordinates are multiplied by
`scale` (default 64: one unit is 1/64 of the crop, about 1.5% of a hand's box) before the loss; the log region
(|d| < 10 units, 16% of the crop) then covers the errors that matter and large errors stay linear.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

WING_SCALE = 64.0
Z_WEIGHT = 0.5
"""z (MediaPipe's relative depth) is noisier than x, y and matters less downstream."""


def wing_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None, *, w: float = 10.0,
              eps: float = 2.0, scale: float = WING_SCALE) -> torch.Tensor:
    """Mean Wing loss over elements of `(B, J, C)`; `weight` `(B, J)` or `(B, J, C)` masks/weights elements."""
    d = (pred - target).abs() * scale
    c = w - w * math.log(1.0 + w / eps)
    loss = torch.where(d < w, w * torch.log1p(d / eps), d - c)
    if weight is None:
        return loss.mean()
    if weight.dim() == loss.dim() - 1:
        weight = weight.unsqueeze(-1).expand_as(loss)
    return (loss * weight).sum() / weight.sum().clamp_min(1.0)


def landmark_loss(pred: torch.Tensor, conf_logits: torch.Tensor, target: torch.Tensor, visible: torch.Tensor,
                  has_hand: torch.Tensor, *, conf_weight: float = 1.0,
                  z_weight: float = Z_WEIGHT) -> tuple[torch.Tensor, dict[str, float]]:
    """Wing on (x, y, z_weight * z) of landmarks of crops that hold a hand + BCE of confidence vs `visible`.

    `pred`, `target` `(B, 21, 3)`; `conf_logits`, `visible` `(B, 21)`; `has_hand` `(B,)` (0 for background crops,
    whose coordinates are not trained). Returns the total and its parts for logging.
    """
    cw = torch.tensor([1.0, 1.0, z_weight], dtype=pred.dtype, device=pred.device)
    weight = has_hand.view(-1, 1, 1).to(pred.dtype) * cw
    coord = wing_loss(pred, target, weight.expand_as(pred).contiguous())
    conf = F.binary_cross_entropy_with_logits(conf_logits, visible.to(conf_logits.dtype))
    total = coord + conf_weight * conf
    return total, {"wing": float(coord.detach()), "bce": float(conf.detach())}
