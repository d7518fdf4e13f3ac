"""The hand-landmark network: MobileNetV3-Small + landmark head + per-landmark confidence head.

`(B, 3, S, S)` RGB crop in [0, 1] -> landmarks `(B, 21, 3)` (x, y in crop units [0, 1], z MediaPipe's relative
depth in crop units) and confidence logits `(B, 21)` (is this landmark a visible hand point in the crop).
Fully connected heads 576 -> 512 -> 256 -> 63 and 576 -> 128 -> 21; at width 1.0 the whole model has
1,446,516 parameters.

`head="integral"` swaps the landmark head for integral regression (Sun et al. 2018, "soft-argmax"): the
stride-32 map is upsampled, fused with the stride-16 map and turned into 21 heatmaps at stride 8 whose softmax
expectation is (x, y); z is the same expectation over 21 depth maps. Global average pooling throws away where
things are, so the FC head must relearn geometry from data; the heatmap keeps it, which is what a few hundred
training crops can afford. The confidence head stays fully connected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from gestura.landmarks.cnn.mobilenetv3 import MobileNetV3Small

N_LANDMARKS = 21


HEADS = ("fc", "integral")


class IntegralHead(nn.Module):
    """(stride-16 map, stride-32 map) -> `(B, 21, 3)`: heatmaps at stride 8, soft-argmax for x, y, expected z."""

    def __init__(self, mid_channels: int, top_channels: int, hidden: int = 64) -> None:
        super().__init__()
        self.reduce = nn.Sequential(nn.Conv2d(top_channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                                    nn.Hardswish())
        c = hidden + mid_channels
        self.fuse = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False), nn.BatchNorm2d(c),
                                  nn.Conv2d(c, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.Hardswish())
        self.refine = nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False),
                                    nn.BatchNorm2d(hidden), nn.Conv2d(hidden, hidden, 1, bias=False),
                                    nn.BatchNorm2d(hidden), nn.Hardswish())
        self.out = nn.Conv2d(hidden, 2 * N_LANDMARKS, 1)

    def forward(self, mid: torch.Tensor, top: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(self.reduce(top), size=mid.shape[-2:], mode="bilinear", align_corners=False)
        h = self.fuse(torch.cat([up, mid], dim=1))
        h = self.refine(F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False))
        maps = self.out(h)
        b, _, hh, ww = maps.shape
        heat = torch.softmax(maps[:, :N_LANDMARKS].reshape(b, N_LANDMARKS, hh * ww), dim=-1)
        ys = (torch.arange(hh, dtype=maps.dtype, device=maps.device) + 0.5) / hh
        xs = (torch.arange(ww, dtype=maps.dtype, device=maps.device) + 0.5) / ww
        gx, gy = xs.repeat(hh), ys.repeat_interleave(ww)
        x = (heat * gx).sum(-1)
        y = (heat * gy).sum(-1)
        z = (heat * maps[:, N_LANDMARKS:].reshape(b, N_LANDMARKS, hh * ww)).sum(-1)
        return torch.stack([x, y, z], dim=-1)


class HandLandmarkNet(nn.Module):
    """`(B, 3, S, S) -> ((B, 21, 3) landmarks, (B, 21) confidence logits)`."""

    def __init__(self, width: float = 1.0, input_size: int = 224, dropout: float = 0.1, head: str = "fc") -> None:
        super().__init__()
        if input_size < 64 or input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32 and >= 64, got {input_size}")
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        self.input_size, self.head = input_size, head
        self.backbone = MobileNetV3Small(width)
        f = self.backbone.out_features
        self.landmark_head: nn.Module
        if head == "fc":
            fc = nn.Sequential(nn.Linear(f, 512), nn.ReLU(), nn.Dropout(dropout),
                               nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, N_LANDMARKS * 3))
            last = fc[-1]
            assert isinstance(last, nn.Linear)
            with torch.no_grad():
                last.weight.mul_(0.1)
                last.bias.copy_(torch.tensor([0.5, 0.5, 0.0]).repeat(N_LANDMARKS))
            self.landmark_head = fc
        else:
            self.landmark_head = IntegralHead(self.backbone.tap_channels, f)
        self.confidence_head = nn.Sequential(nn.Linear(f, 128), nn.ReLU(), nn.Linear(128, N_LANDMARKS))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mid, top = self.backbone.forward_maps(x)
        h = F.adaptive_avg_pool2d(top, 1).flatten(1)
        lms = self.landmark_head(h).view(-1, N_LANDMARKS, 3) if self.head == "fc" else self.landmark_head(mid, top)
        return lms, self.confidence_head(h)


def count_parameters(model: nn.Module) -> int:
    """Number of parameters (trainable or not; buffers excluded)."""
    return sum(p.numel() for p in model.parameters())


FORMAT = "gestura-landmark-cnn-v1"


def save_landmark_model(model: HandLandmarkNet, directory: str | os.PathLike[str], **meta: Any) -> Path:
    """Write `model.safetensors` + `model.json` (format, arch, width, input size, box rule, `meta`) atomically."""
    from safetensors.torch import save

    from gestura.io import atomic_write, write_json
    from gestura.landmarks.cnn.teacher import BOX_SCALE

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_write(directory / "model.safetensors") as f:
        f.write(save(state))
    info = {"format": FORMAT, "arch": "mobilenetv3_small_hand", "head": model.head, "width": model.backbone.width,
            "input_size": model.input_size, "box_scale": BOX_SCALE, "skeleton": "mediapipe-hand-21",
            "parameters": count_parameters(model), **meta}
    write_json(directory / "model.json", info)
    return directory


def load_landmark_model(directory: str | os.PathLike[str]) -> tuple[HandLandmarkNet, dict[str, Any]]:
    """Read a model written by `save_landmark_model` (eval mode) and its JSON metadata; problems are one-line
    `ModelFileError`s naming the file."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    from gestura.errors import InputError, ModelFileError
    from gestura.io import read_json

    directory = Path(directory)
    try:
        info = read_json(directory / "model.json")
    except InputError as err:
        raise ModelFileError(str(err)) from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ModelFileError(f"{directory / 'model.json'}: not a landmark CNN model (format {FORMAT!r} expected)")
    weights = directory / "model.safetensors"
    try:
        state = load(weights.read_bytes())
    except FileNotFoundError:
        raise ModelFileError(f"{weights}: file not found") from None
    except (SafetensorError, ValueError, OSError) as err:
        raise ModelFileError(f"{weights}: unreadable safetensors file ({err})") from None
    import torch

    from gestura.limits import MAX_CROP, check_number

    where = directory / "model.json"
    if "width" not in info or "input_size" not in info:
        raise ModelFileError(f"{where}: missing field 'width' or 'input_size'")
    width = check_number(info["width"], f"{where}: width", low=0, low_open=True, high=4, error=ModelFileError)
    size = check_number(info["input_size"], f"{where}: input_size", low=32, high=MAX_CROP, integer=True,
                        error=ModelFileError)
    try:
        with torch.device("meta"):  # shapes first, without memory: a size the weights lack is refused here
            ghost = HandLandmarkNet(width=float(width), input_size=int(size), head=str(info.get("head", "fc")))
        if {k: tuple(v.shape) for k, v in ghost.state_dict().items()} != {k: tuple(v.shape) for k, v in state.items()}:
            raise RuntimeError("parameter names or shapes differ from the weights file")
        model = HandLandmarkNet(width=float(width), input_size=int(size), head=str(info.get("head", "fc")))
        model.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError, TypeError) as err:
        raise ModelFileError(f"{weights}: weights do not match model.json ({str(err).splitlines()[0]})") from None
    return model.eval(), info
