"""The networks: the original design's per-frame MLP and three sequence models over windows.

Every model maps a batch of windows ``(B, W, F)`` to class logits ``(B, C)``; the MLP classifies
each frame alone and averages the frames' logits, which is how the original design's per-frame
verdicts become a window's. ``build_model(kind, ...)`` is the one way to make one.
"""

from __future__ import annotations

import torch
from torch import nn

from .features import BODY_LANDMARKS, POSE_LAYOUT, FeatureSpec
from .sequence import LANDMARK_INDEX, SKELETON_EDGES

MODEL_KINDS = ("mlp", "gru", "tcn", "gcn")


class FrameMLP(nn.Module):
    """The original design, exactly: F -> 512 -> 256 -> 128 -> C, ReLU, dropout 0.4 after the first two."""

    def __init__(self, n_features: int, n_classes: int, dropout: float = 0.4) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features, 512), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(512, 256), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(256, 128), nn.ReLU(),
            nn.Linear(128, n_classes),
        )  # fmt: skip

    def frame_logits(self, x: torch.Tensor) -> torch.Tensor:
        """(..., F) -> (..., C): one verdict per frame."""
        return self.net(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.frame_logits(x).mean(dim=1)


class GRUClassifier(nn.Module):
    """A bidirectional GRU over the window, mean- and max-pooled over time."""

    def __init__(self, n_features: int, n_classes: int, hidden: int = 64, layers: int = 1, dropout: float = 0.3):
        super().__init__()
        self.inp = nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout))
        self.gru = nn.GRU(hidden, hidden, num_layers=layers, batch_first=True, bidirectional=True)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.inp(x))
        return self.head(torch.cat([h.mean(dim=1), h.amax(dim=1)], dim=-1))


class TCNClassifier(nn.Module):
    """1-D temporal convolutions with growing dilation (receptive field ~ the window), pooled over time."""

    def __init__(self, n_features: int, n_classes: int, channels: int = 64, levels: int = 3, dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(n_features, channels, 1)]
        for level in range(levels):
            d = 2**level
            layers += [nn.Conv1d(channels, channels, 3, padding=d, dilation=d), nn.BatchNorm1d(channels), nn.ReLU(),
                       nn.Dropout(dropout)]  # fmt: skip
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(2 * channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.body(x.transpose(1, 2))  # (B, channels, W)
        return self.head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=-1))


def _body_adjacency() -> torch.Tensor:
    """(J, J) normalised adjacency of the "pose" features' body landmarks: the skeleton's bones among
    them, the nose joined to both shoulders, and self-loops; D^-1/2 (A + I) D^-1/2."""
    at = {landmark: k for k, landmark in enumerate(BODY_LANDMARKS)}
    nose = LANDMARK_INDEX["nose"]
    edges = [*SKELETON_EDGES, (nose, LANDMARK_INDEX["left_shoulder"]), (nose, LANDMARK_INDEX["right_shoulder"])]
    a = torch.eye(len(at))
    for i, j in edges:
        if i in at and j in at:
            a[at[i], at[j]] = a[at[j], at[i]] = 1.0
    d = a.sum(dim=1).rsqrt()
    return d[:, None] * a * d[None, :]


class _GraphBlock(nn.Module):
    """Each landmark mixed with its neighbours (graph convolution), then along time (per landmark)."""

    def __init__(self, c_in: int, c_out: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.space = nn.Linear(c_in, c_out)
        self.time = nn.Conv2d(c_out, c_out, (3, 1), padding=(dilation, 0), dilation=(dilation, 1))
        self.norm = nn.BatchNorm2d(c_out)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Linear(c_in, c_out)

    def forward(self, h: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """(B, W, J, c_in) -> (B, W, J, c_out)."""
        y = torch.einsum("ij,bwjc->bwic", adjacency, self.space(h))
        y = self.drop(torch.relu(self.norm(self.time(y.permute(0, 3, 1, 2))))).permute(0, 2, 3, 1)
        return y + self.skip(h)


# The per-frame features that are not per landmark; the graph network adds them after pooling its nodes.
_OVERALL_PARTS = ("angle", "angle_velocity", "hip_velocity")


class GraphClassifier(nn.Module):
    """A small spatial-temporal graph network over the body skeleton (in the manner of ST-GCN).

    The landmarks' positions and velocities are nodes of the skeleton graph; each block mixes a node
    with its neighbours (the adjacency, scaled by a learnt weight per pair) and then along time with a
    dilated convolution. The joint angles, their velocities and the hip's motion are not per-landmark:
    they join, pooled over time, after the nodes are pooled. Needs the "pose" features
    (:data:`~workout_analysis.features.POSE_LAYOUT`).
    """

    def __init__(self, n_features: int, n_classes: int, channels: int = 16, levels: int = 3, dropout: float = 0.3):
        super().__init__()
        self.joints = len(BODY_LANDMARKS)
        if n_features != FeatureSpec("pose").size:
            raise ValueError(f"the graph network needs the 'pose' features ({FeatureSpec('pose').size} per frame), "
                             f"got {n_features}")  # fmt: skip
        self.register_buffer("adjacency", _body_adjacency())
        self.importance = nn.Parameter(torch.ones(self.joints, self.joints))
        self.blocks = nn.ModuleList(
            _GraphBlock(4 if level == 0 else channels, channels, 2**level, dropout) for level in range(levels)
        )
        n_overall = sum(POSE_LAYOUT[part].stop - POSE_LAYOUT[part].start for part in _OVERALL_PARTS)
        self.overall = nn.Sequential(nn.Linear(n_overall, channels), nn.ReLU(), nn.Dropout(dropout))
        self.head = nn.Linear(4 * channels, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, w, _ = x.shape
        position = x[..., POSE_LAYOUT["position"]].reshape(b, w, self.joints, 2)
        velocity = x[..., POSE_LAYOUT["position_velocity"]].reshape(b, w, self.joints, 2)
        h = torch.cat([position, velocity], dim=-1)
        adjacency = self.adjacency * self.importance
        for block in self.blocks:
            h = block(h, adjacency)
        g = self.overall(torch.cat([x[..., POSE_LAYOUT[part]] for part in _OVERALL_PARTS], dim=-1))  # (B, W, channels)
        return self.head(torch.cat([h.mean(dim=(1, 2)), h.amax(dim=(1, 2)), g.mean(dim=1), g.amax(dim=1)], dim=-1))


def build_model(kind: str, n_features: int, n_classes: int, **config: float) -> nn.Module:
    """A fresh model of ``kind`` ("mlp", "gru", "tcn" or "gcn"); ``config`` holds its size options."""
    if kind == "mlp":
        return FrameMLP(n_features, n_classes, **config)
    if kind == "gru":
        return GRUClassifier(n_features, n_classes, **config)
    if kind == "tcn":
        return TCNClassifier(n_features, n_classes, **config)
    if kind == "gcn":
        return GraphClassifier(n_features, n_classes, **config)
    raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(MODEL_KINDS)}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
