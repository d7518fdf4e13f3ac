"""ST-GCN: spatial graph convolutions over the MediaPipe skeleton, dilated temporal convolutions over frames.

How a graph model reads the `(B, T, F)` model interface: the config names a skeleton by id
(`landmarks/skeleton.py`, e.g. `mediapipe-two-hands-42`) and `in_channels` C; when `F == J * C` the frame vector
is read joint-major, `x.view(B, T, J, C)` (feature `j * C + c` is coordinate c of joint j) — the layout of the
`joints-*` schemas in `gestura.features.joints`. For any other F (e.g. `feature-schema-v1`) a learned per-frame
linear lift maps F to J x C first, so every schema still works, but only a joint-layout schema gives the graph
its meaning. Padding frames (mask False, padding at the end) are zeroed on input (NaN included) and after every
block, so they never change the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from gestura.errors import ConfigError
from gestura.landmarks.skeleton import SKELETONS, Skeleton
from gestura.models.base import GesturaModel
from gestura.models.layers import masked_mean, zero_padding
from gestura.models.registry import register_model

EXTRA_EDGES = (("left_wrist", "pose_left_wrist"), ("right_wrist", "pose_right_wrist"))
"""Edges joining hand graphs to the pose graph, added by name when both joints exist."""


def get_skeleton(skeleton_id: str) -> Skeleton:
    """The skeleton registered under `skeleton_id`, or a one-line `ConfigError`."""
    try:
        return SKELETONS[skeleton_id]
    except KeyError:
        raise ConfigError(f"unknown skeleton {skeleton_id!r}; choose from {sorted(SKELETONS)}") from None


def adjacency(skel: Skeleton) -> np.ndarray:
    """ST-GCN spatial partition of a skeleton: `(3, J, J)` = self loops, inward (to parent), outward, each
    column-normalised so a joint averages over its neighbours in that subset."""
    n = skel.n_joints
    edges = list(skel.edges)
    names = {j: i for i, j in enumerate(skel.joints)}
    edges += [(names[a], names[b]) for a, b in EXTRA_EDGES if a in names and b in names]
    inward = np.zeros((n, n), dtype=np.float32)
    for child, parent in edges:
        inward[parent, child] = 1.0
    outward = inward.T.copy()

    def norm(a: np.ndarray) -> np.ndarray:
        deg = a.sum(axis=0)
        return a / np.where(deg > 0, deg, 1.0)[None, :]

    return np.stack([np.eye(n, dtype=np.float32), norm(inward), norm(outward)])


class GraphConv(nn.Module):
    """Spatial graph convolution: `(B, C, T, J) -> (B, C', T, J)` with a learnable edge importance per subset."""

    a: torch.Tensor  # a registered buffer is a Tensor (nn.Module.__getattr__ says Tensor | Module)

    def __init__(self, c_in: int, c_out: int, a: np.ndarray) -> None:
        super().__init__()
        self.k = a.shape[0]
        self.register_buffer("a", torch.from_numpy(a), persistent=False)
        self.importance = nn.Parameter(torch.ones_like(self.a))
        self.conv = nn.Conv2d(c_in, c_out * self.k, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, t, j = x.shape
        y = self.conv(x).view(b, self.k, -1, t, j).permute(0, 2, 3, 1, 4).reshape(b, -1, t, self.k * j)
        a = (self.a * self.importance).reshape(self.k * j, j)  # sum over subsets folded into one matmul
        return torch.matmul(y, a)


class STGCNBlock(nn.Module):
    """Graph conv -> BN -> ReLU -> dilated temporal conv -> BN -> dropout, residual, ReLU."""

    def __init__(self, c_in: int, c_out: int, a: np.ndarray, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.gcn = GraphConv(c_in, c_out, a)
        pad = (kernel - 1) // 2 * dilation
        self.bn1 = nn.BatchNorm2d(c_out)
        self.tcn = nn.Conv2d(c_out, c_out, (kernel, 1), padding=(pad, 0), dilation=(dilation, 1))
        self.bn2 = nn.BatchNorm2d(c_out)
        self.drop = nn.Dropout(dropout)
        self.res = nn.Identity() if c_in == c_out else nn.Sequential(nn.Conv2d(c_in, c_out, 1), nn.BatchNorm2d(c_out))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        """`(B, C, T, J)`, frame mask `(B, 1, T, 1)` float -> `(B, C', T, J)` with padding frames zeroed."""
        h = torch.relu(self.bn1(self.gcn(x))) * m
        return self.act(self.drop(self.bn2(self.tcn(h))) + self.res(x)) * m


class GraphInput(nn.Module):
    """`(B, T, F) -> (B, C, T, J)`: joint-major reshape when `F == J * C`, else a learned per-frame lift."""

    def __init__(self, input_dim: int, n_joints: int, in_channels: int) -> None:
        super().__init__()
        self.j, self.c = n_joints, in_channels
        self.lift = None if input_dim == n_joints * in_channels else nn.Linear(input_dim, n_joints * in_channels)
        self.bn = nn.BatchNorm2d(in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.lift is not None:
            x = self.lift(x)
        b, t, _ = x.shape
        return self.bn(x.reshape(b, t, self.j, self.c).permute(0, 3, 1, 2))


class STGCNBackbone(nn.Module):
    """Stacked ST-GCN blocks: `(B, T, F), mask -> (B, T, D)` per-frame features (joints averaged), D = channels[-1]."""

    def __init__(self, input_dim: int, skeleton: str, in_channels: int, channels: tuple[int, ...],
                 temporal_kernel: int, dilations: tuple[int, ...], dropout: float) -> None:
        super().__init__()
        if len(channels) != len(dilations):
            raise ConfigError(f"stgcn: channels {channels} and dilations {dilations} must have the same length")
        if temporal_kernel % 2 == 0 or temporal_kernel < 1:
            raise ConfigError(f"stgcn: temporal_kernel must be odd and >= 1, got {temporal_kernel}")
        if in_channels < 1:
            raise ConfigError(f"stgcn: in_channels must be >= 1, got {in_channels}")
        skel = get_skeleton(skeleton)
        a = adjacency(skel)
        self.input = GraphInput(input_dim, skel.n_joints, in_channels)
        dims = (in_channels, *channels)
        self.blocks = nn.ModuleList(
            STGCNBlock(dims[i], dims[i + 1], a, temporal_kernel, dilations[i], dropout) for i in range(len(channels))
        )
        self.out_dim = channels[-1]

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            mask = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        m = mask.to(x.dtype)[:, None, :, None]
        h = self.input(zero_padding(x, mask)) * m
        for block in self.blocks:
            h = block(h, m)
        return h.mean(dim=3).transpose(1, 2)


@dataclass(frozen=True)
class STGCNConfig:
    input_dim: int = 147
    num_classes: int = 10
    skeleton: str = "mediapipe-hand-21"
    in_channels: int = 3
    channels: tuple[int, ...] = (64, 128, 128)
    temporal_kernel: int = 3
    dilations: tuple[int, ...] = (1, 2, 3)
    dropout: float = 0.2


@register_model("stgcn", STGCNConfig)
class STGCN(GesturaModel):
    """ST-GCN classifier: backbone, masked mean over frames, linear head."""

    def __init__(self, cfg: STGCNConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone = STGCNBackbone(cfg.input_dim, cfg.skeleton, cfg.in_channels, cfg.channels,
                                      cfg.temporal_kernel, cfg.dilations, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)
        self.embed_dim = self.backbone.out_dim
        self.head = nn.Linear(self.embed_dim, cfg.num_classes)

    def embed(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """`(B, T, F) -> (B, D)` pooled embedding."""
        return masked_mean(self.backbone(x, mask), mask)

    def forward_head(self, z: torch.Tensor) -> torch.Tensor:
        """`(B, D) -> (B, K)`: dropout (training only), then the linear head."""
        return self.head(self.drop(z))
