"""The hand-landmark network of seed 004: MobileNetV3-Small + landmark head + per-landmark confidence head.

`(B, 3, S, S)` RGB crop in [0, 1] -> landmarks `(B, 21, 3)` (x, y in crop units [0, 1], z MediaPipe's relative
depth in crop units) and confidence logits `(B, 21)` (is this landmark a visible hand point in the crop).
Heads as in seed 004: 576 -> 512 -> 256 -> 63 and 576 -> 128 -> 21; at width 1.0 the whole model has
1,446,516 parameters, exactly the count seed 004 reports.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from gestura.landmarks.cnn.mobilenetv3 import MobileNetV3Small

N_LANDMARKS = 21


class HandLandmarkNet(nn.Module):
    """`(B, 3, S, S) -> ((B, 21, 3) landmarks, (B, 21) confidence logits)`."""

    def __init__(self, width: float = 1.0, input_size: int = 224, dropout: float = 0.1) -> None:
        super().__init__()
        if input_size < 64 or input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32 and >= 64, got {input_size}")
        self.input_size = input_size
        self.backbone = MobileNetV3Small(width)
        f = self.backbone.out_features
        self.landmark_head = nn.Sequential(nn.Linear(f, 512), nn.ReLU(), nn.Dropout(dropout), nn.Linear(512, 256),
                                           nn.ReLU(), nn.Linear(256, N_LANDMARKS * 3))
        self.confidence_head = nn.Sequential(nn.Linear(f, 128), nn.ReLU(), nn.Linear(128, N_LANDMARKS))
        with torch.no_grad():
            last = self.landmark_head[-1]
            last.weight.mul_(0.1)
            last.bias.copy_(torch.tensor([0.5, 0.5, 0.0]).repeat(N_LANDMARKS))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.backbone(x)
        return self.landmark_head(h).view(-1, N_LANDMARKS, 3), self.confidence_head(h)


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
    info = {"format": FORMAT, "arch": "mobilenetv3_small_hand", "width": model.backbone.width,
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
    try:
        model = HandLandmarkNet(width=float(info["width"]), input_size=int(info["input_size"]))
        model.load_state_dict(state)
    except (KeyError, ValueError, RuntimeError) as err:
        raise ModelFileError(f"{weights}: weights do not match model.json ({str(err).splitlines()[0]})") from None
    return model.eval(), info
