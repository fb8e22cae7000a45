"""The ``--plot`` timeline: the rep counter's signal over time, each rep shaded, flagged reps in red."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..exercises import display_name
from ..fileio import atomic_path
from .reps import RepReport
from .signals import PCA_SIGNAL

PLOT_FORMATS = (".png", ".svg", ".pdf")  # what matplotlib writes without extra libraries
UNIT_LABEL = {"deg": "degrees", "torso": "torso lengths", "pc": "whole-body movement (no unit)"}


def plot_timeline(reps: RepReport, path: str | Path, form: Any = None, title: str | None = None) -> Path:
    """Draw ``reps.signal`` over time with every rep shaded (green good, orange minor, red major issue, grey not
    checked on its own) and numbered, its bottom marked, and the form issues listed; written atomically to
    ``path`` (PNG, SVG, PDF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_index = {r.index: r for r in (form.reps if form is not None else [])}
    fig, ax = plt.subplots(figsize=(11, 4.2))
    named = {PCA_SIGNAL: "whole-body movement", "hold": "time held"}
    signal = named.get(reps.signal_name, reps.signal_name.replace("_", " "))
    ax.plot(reps.times, reps.signal, color="#222222", lw=1.4, label=f"signal: {signal}")
    for rep in reps.reps:
        checked = by_index.get(rep.index)
        issues = checked.issues if checked is not None else []
        # grey: not checked rep by rep (no checks for the exercise, or a hold checked as a whole)
        color = "#d62728" if any(i.severity == "major" for i in issues) else "#ff7f0e" if issues else "#2ca02c" if checked else "#7f7f7f"
        ax.axvspan(rep.start_s, rep.end_s, color=color, alpha=0.18, lw=0)
        y = reps.signal[rep.bottom_frame] if 0 <= rep.bottom_frame < len(reps.signal) else np.nan
        ax.plot(rep.bottom_s, y, "v", color=color, ms=7)
        label = str(rep.index) if checked is None else f"{rep.index}\n{checked.score}"
        ax.annotate(label, (rep.start_s + rep.duration_s / 2, 1.0), xycoords=("data", "axes fraction"),
                    ha="center", va="top", fontsize=8, color=color)  # fmt: skip
    finite = reps.signal[np.isfinite(reps.signal)]
    if len(finite):  # headroom for the rep numbers and scores written along the top, clear of the signal
        low, high = float(finite.min()), float(finite.max())
        span = max(high - low, 1e-6)
        ax.set_ylim(low - 0.05 * span, high + 0.3 * span)
    if reps.method == "hold":
        ax.text(0.01, 0.95, f"held {reps.hold_s or 0.0:.1f} s", transform=ax.transAxes, va="top")
    name = display_name(reps.exercise) if reps.exercise else "unknown exercise"
    scored = form is not None and form.score is not None
    ax.set_title(title or f"{name}: {reps.count} reps" + (f", form {form.score}/100 ({form.view} view)" if scored else ""))
    ax.set_xlabel("time (s)")
    if reps.reps:
        ax.set_ylabel(UNIT_LABEL[reps.reps[0].rom_unit])
    elif reps.method == "hold":
        ax.set_ylabel("seconds held so far")
    if form is not None:
        notes = [f"{f'rep {r.index}' if r.index else 'whole clip'}: {i.message}" for r in form.reps for i in r.issues][:6]
        if notes:
            ax.text(0.01, -0.2, "\n".join(notes), transform=ax.transAxes, va="top", fontsize=8)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
