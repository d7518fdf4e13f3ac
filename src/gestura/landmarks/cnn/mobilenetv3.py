"""MobileNetV3-Small (Howard et al. 2019) written in gestura: inverted residuals, squeeze-excitation, hard-swish.

torchvision and timm are not installed beside our CPU torch, so the backbone lives here. The layer table and the
rounding of channel counts follow the paper (and torchvision's `mobilenet_v3_small`), so at width 1.0 the
feature extractor has 927,008 parameters. `(B, 3, H, W) in [0, 1] -> (B, 576 * width)` pooled features.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

SMALL_BLOCKS: tuple[tuple[int, int, int, bool, str, int], ...] = (
    # kernel, expanded, out, squeeze-excite, activation, stride
    (3, 16, 16, True, "relu", 2),
    (3, 72, 24, False, "relu", 2),
    (3, 88, 24, False, "relu", 1),
    (5, 96, 40, True, "hardswish", 2),
    (5, 240, 40, True, "hardswish", 1),
    (5, 240, 40, True, "hardswish", 1),
    (5, 120, 48, True, "hardswish", 1),
    (5, 144, 48, True, "hardswish", 1),
    (5, 288, 96, True, "hardswish", 2),
    (5, 576, 96, True, "hardswish", 1),
    (5, 576, 96, True, "hardswish", 1),
)
INPUT_SIZES = (160, 192, 224)
"""Input sizes the landmark model is trained and benchmarked at (any multiple of 32 >= 64 runs)."""
IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of `divisor`, never more than 10% below `value`."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def _act(name: str) -> nn.Module:
    return nn.Hardswish() if name == "hardswish" else nn.ReLU()


class ConvBNAct(nn.Sequential):
    """Conv2d (no bias) -> BatchNorm -> activation (or none)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                 act: str | None = "hardswish") -> None:
        layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                                   nn.BatchNorm2d(cout, eps=1e-3, momentum=0.1)]
        if act is not None:
            layers.append(_act(act))
        super().__init__(*layers)


class SqueezeExcite(nn.Module):
    """Channel attention: global pool -> 1x1 reduce (ReLU) -> 1x1 expand -> hard-sigmoid gate."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        squeezed = make_divisible(channels // 4)
        self.fc1 = nn.Conv2d(channels, squeezed, 1)
        self.fc2 = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(x, 1)
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(s))))


class InvertedResidual(nn.Module):
    """1x1 expand -> depthwise k x k (stride) -> [SE] -> 1x1 project; identity shortcut when shapes match."""

    def __init__(self, cin: int, expanded: int, cout: int, kernel: int, se: bool, act: str, stride: int) -> None:
        super().__init__()
        self.residual = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expanded != cin:
            layers.append(ConvBNAct(cin, expanded, 1, act=act))
        layers.append(ConvBNAct(expanded, expanded, kernel, stride, groups=expanded, act=act))
        if se:
            layers.append(SqueezeExcite(expanded))
        layers.append(ConvBNAct(expanded, cout, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV3Small(nn.Module):
    """MobileNetV3-Small feature extractor: `(B, 3, H, W)` RGB in [0, 1] -> `(B, out_features)`.

    `width` multiplies every channel count (rounded to multiples of 8), as in the paper's width multiplier.
    ImageNet mean/std normalisation happens inside, so exported ONNX graphs take plain [0, 1] images.
    """

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        if width <= 0:
            raise ValueError(f"width must be > 0, got {width}")
        self.width = width
        stem = make_divisible(16 * width)
        layers: list[nn.Module] = [ConvBNAct(3, stem, 3, 2, act="hardswish")]
        cin = stem
        for kernel, exp, out, se, act, stride in SMALL_BLOCKS:
            e, o = make_divisible(exp * width), make_divisible(out * width)
            layers.append(InvertedResidual(cin, e, o, kernel, se, act, stride))
            cin = o
        self.out_features = 6 * cin
        last_down = max(i for i, b in enumerate(SMALL_BLOCKS) if b[5] == 2)
        self.tap = last_down  # layer index of the block before it (layer 0 is the stem): the stride-16 output
        self.tap_channels = make_divisible(SMALL_BLOCKS[last_down - 1][2] * width)
        layers.append(ConvBNAct(cin, self.out_features, 1, act="hardswish"))
        self.features = nn.Sequential(*layers)
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.tensor(IMAGE_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGE_STD).view(1, 3, 1, 1), persistent=False)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(self.forward_maps(x)[1], 1).flatten(1)

    def forward_maps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(stride-16 map (B, tap_channels, H/16, W/16), final map (B, out_features, H/32, W/32))`."""
        x = (x - self.mean) / self.std
        mid = x
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i == self.tap:
                mid = x
        return mid, x
