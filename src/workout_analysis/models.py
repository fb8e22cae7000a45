"""The networks: the original design's per-frame MLP and two sequence models over windows.

Every model maps a batch of windows ``(B, W, F)`` to class logits ``(B, C)``; the MLP classifies
each frame alone and averages the frames' logits, which is how the original design's per-frame
verdicts become a window's. ``build_model(kind, ...)`` is the one way to make one.
"""

from __future__ import annotations

import torch
from torch import nn

MODEL_KINDS = ("mlp", "gru", "tcn")


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


def build_model(kind: str, n_features: int, n_classes: int, **config: float) -> nn.Module:
    """A fresh model of ``kind`` ("mlp", "gru" or "tcn"); ``config`` holds its size options."""
    if kind == "mlp":
        return FrameMLP(n_features, n_classes, **config)
    if kind == "gru":
        return GRUClassifier(n_features, n_classes, **config)
    if kind == "tcn":
        return TCNClassifier(n_features, n_classes, **config)
    raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(MODEL_KINDS)}")


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
