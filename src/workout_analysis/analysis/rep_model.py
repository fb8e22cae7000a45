"""A learned, class-agnostic repetition counter trained on synthetic sets only.

A small non-causal dilated 1-D convolution net reads per-frame pose features at a fixed rate
(:data:`FPS`) and predicts, for every frame, a *rep density* (1 / the rep's length inside a rep,
0 outside: its sum over a set is the number of reps, as in RepNet), the rep's phase as
(cos, sin) of an angle going 0 -> 2 pi over each rep, and whether the frame is inside a rep.

    from workout_analysis.analysis.rep_model import load_rep_model
    model = load_rep_model()          # the embedded weights (safetensors + JSON), no download
    estimate = model.count(seq)       # estimate.count, estimate.density (per resampled frame)

The count is the sum of the density weighted by the "in a rep" probability. Alone it is a poor
counter of real clips (RepCount-A MAE 0.39); :func:`.reps.count_reps` uses it as a referee between
the exercise's own count and the whole pose's (docs/reps.md, "The learned referee").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import WorkoutError
from ..features import FeatureSpec, fill_gaps, metric_points, resample_index, window_features
from ..sequence import PoseSequence

FPS = 15.0  # frames per second the net sees: jumping jacks (2.3 reps/s) still get 6 frames a rep
FEATURES = FeatureSpec(kind="pose", fps=FPS)
N_FEATURES = FEATURES.size + 1  # + "pose present"
NORM_S = 10.0  # seconds either side over which features are standardised
OUTPUTS = ("density", "cos", "sin", "in_rep")
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "models" / "reps"


def rep_features(points: np.ndarray) -> np.ndarray:
    """(T, N_FEATURES) float32 model input of (T, 33, >=3) metric points already at :data:`FPS`.

    Gaps are filled (linearly) over the whole sequence; a last channel says where a pose was found.
    Standardisation happens in the net, over ``NORM_S`` around each frame (see :meth:`RepNet.forward`).
    """
    present = np.isfinite(points[:, 0, 0])
    if not present.any():
        return np.zeros((len(points), N_FEATURES), np.float32)
    feats = window_features(fill_gaps(points[None].astype(np.float32)), FEATURES)[0]
    feats = np.nan_to_num(feats, nan=0.0, posinf=0.0, neginf=0.0)
    return np.concatenate([feats, present[:, None].astype(np.float32)], axis=1)


def sequence_features(seq: PoseSequence) -> tuple[np.ndarray, np.ndarray]:
    """(features at :data:`FPS`, index of the original frame each resampled frame comes from)."""
    index = resample_index(seq.timestamps, FPS)
    return rep_features(metric_points(seq)[index]), index


@dataclass(frozen=True)
class RepNetConfig:
    """The net's shape (saved in config.json beside the weights)."""

    channels: int = 64
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)  # receptive field 255 frames: 17 s at FPS
    dropout: float = 0.1


class _Block(nn.Module):
    def __init__(self, channels: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, padding=dilation, dilation=dilation)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.norm = nn.GroupNorm(1, channels)
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.drop(self.mix(torch.relu(self.norm(self.conv(h)))))


class RepNet(nn.Module):
    """(B, T, F) features -> (B, T, 4): density (>= 0), cos, sin, in-rep logit. Non-causal, sequence to sequence."""

    def __init__(self, config: RepNetConfig = RepNetConfig()) -> None:
        super().__init__()
        self.config = config
        self.inp = nn.Conv1d(N_FEATURES, config.channels, 1)
        self.blocks = nn.Sequential(*[_Block(config.channels, d, config.dropout) for d in config.dilations])
        self.out = nn.Conv1d(config.channels, len(OUTPUTS), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # standardised over +-NORM_S around each frame: cameras, people and landmark tools differ in scale
        # and offset, and a long video should look like the training crops
        x = x.transpose(1, 2)
        k = 2 * int(NORM_S * FPS) + 1
        pool = lambda v: nn.functional.avg_pool1d(v, k, 1, k // 2, count_include_pad=False)  # noqa: E731
        mean = pool(x)
        std = (pool(x * x) - mean * mean).clamp(min=0).sqrt()
        x = ((x - mean) / (std + 1e-3)).clamp(-6, 6)
        y = self.out(self.blocks(self.inp(x))).transpose(1, 2)
        return torch.cat([nn.functional.softplus(y[..., :1]), y[..., 1:]], dim=-1)


@dataclass
class RepEstimate:
    """The net's per-frame outputs at :data:`FPS` and the count read from them."""

    count: int
    density: np.ndarray  # (T',) reps per resampled frame (weighted by in_rep)
    phase: np.ndarray  # (T',) radians in (-pi, pi]
    in_rep: np.ndarray  # (T',) probability
    index: np.ndarray  # (T',) original frame of each resampled frame


class RepModel:
    """A trained :class:`RepNet` and the way its outputs become a count."""

    def __init__(self, net: RepNet) -> None:
        self.net = net.eval()

    @torch.no_grad()
    def predict(self, features: np.ndarray) -> np.ndarray:
        """(T, 4) outputs of (T, N_FEATURES) features."""
        x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))[None]  # the weights are float32
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # a small net: more threads only wait on each other (40x slower on a busy CPU)
        try:
            return self.net(x)[0].numpy()
        finally:
            torch.set_num_threads(threads)

    def count(self, seq: PoseSequence) -> RepEstimate:
        """Count the reps of a whole sequence (any frame rate): the rounded sum of the density, each
        frame's weighted by its probability of being inside a rep."""
        if not seq.has_pose.any():  # nothing to count: no net, but outputs as long as for any sequence
            index = resample_index(seq.timestamps, FPS)
            return RepEstimate(0, *(np.zeros(len(index)) for _ in range(3)), index)
        feats, index = sequence_features(seq)
        y = self.predict(feats)
        in_rep = 1 / (1 + np.exp(-y[:, 3]))
        # weighted by "in a rep": the net guesses a typical tempo's density where it sees no clear reps
        density = y[:, 0] * in_rep
        return RepEstimate(int(round(float(density.sum()))), density, np.arctan2(y[:, 2], y[:, 1]), in_rep, index)

    def save(self, folder: str | Path) -> None:
        """weights.safetensors + config.json in ``folder``."""
        from safetensors.torch import save_file

        from ..fileio import atomic_path, atomic_write_text

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / "weights.safetensors") as tmp:
            save_file({k: v.contiguous() for k, v in self.net.state_dict().items()}, str(tmp))
        config = {"fps": FPS, "n_features": N_FEATURES, "outputs": list(OUTPUTS), **asdict(self.net.config)}
        atomic_write_text(folder / "config.json", json.dumps(config, indent=1))


@lru_cache(maxsize=1)
def default_rep_model() -> RepModel:
    """The embedded counter, loaded once per process."""
    return load_rep_model()


def load_rep_model(folder: str | Path | None = None) -> RepModel:
    """The counter in ``folder`` (default: the embedded one), read with safetensors and JSON only."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder) if folder else DEFAULT_DIR
    try:
        cfg = json.loads((folder / "config.json").read_text())
        if cfg["fps"] != FPS or cfg["n_features"] != N_FEATURES:
            raise WorkoutError(f"{folder}: a rep model for other features ({cfg['fps']} fps, {cfg['n_features']})")
        net = RepNet(RepNetConfig(int(cfg["channels"]), tuple(cfg["dilations"]), float(cfg["dropout"])))
        weights = load_file(str(folder / "weights.safetensors"))
        net.load_state_dict(weights)
    # missing, truncated, mismatched, or JSON of the wrong shape (a list, a null where a number belongs)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as exc:
        reason = f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        raise WorkoutError(f"{folder}: not a rep model ({reason})") from None
    if not all(bool(torch.isfinite(w).all()) for w in weights.values()):  # a diverged training run
        raise WorkoutError(f"{folder}: the rep model's weights hold NaN or infinite values")
    return RepModel(net)
