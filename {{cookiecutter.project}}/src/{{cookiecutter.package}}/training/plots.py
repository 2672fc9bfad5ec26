"""PNG plots of a training run and of an evaluation, drawn with matplotlib's Agg backend.

Each figure is a ``matplotlib.figure.Figure`` on its own ``FigureCanvasAgg``, without pyplot
(https://matplotlib.org/stable/gallery/user_interfaces/web_application_server_sgskip.html):
no display is needed, no global backend is switched (a notebook that imports this module
keeps its inline plots), and no figure stays open in pyplot's registry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", dpi=100, bbox_inches="tight")
    return path


def plot_history(history: Mapping[str, Sequence[float]], path: str | Path) -> Path:
    """Draw every logged metric per epoch, one panel each, training and validation, to a PNG.

    Args:
        history: per-epoch values as ``model.fit(...).history`` holds them (``history.json``):
            the model's own names (``loss``, ``acc``, ``top3``, ...) and, with validation
            data, the same names with ``val_``. A panel holds ``name`` and ``val_name``;
            panels follow the order of ``history``, ``loss`` first.
        path: the PNG file to write (its folder is created).

    Returns:
        ``path``.

    Raises:
        ValueError: ``history`` holds no series.
    """
    names = list(dict.fromkeys(key.removeprefix("val_") for key in history if history[key]))
    if not names:
        raise ValueError(f"history has no series; keys: {sorted(history)}")
    names.sort(key=lambda name: name != "loss")
    columns = min(len(names), 3)
    rows = -(-len(names) // columns)
    figure = Figure(figsize=(5 * columns, 4 * rows), layout="constrained")
    panels = np.atleast_1d(figure.subplots(rows, columns, squeeze=False).ravel())
    for axes, metric in zip(panels, names, strict=False):
        for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
            values = history.get(key)
            if values:
                epochs = np.arange(1, len(values) + 1)
                axes.plot(epochs, values, marker="o", label=label)
        axes.set_title(metric)
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel(metric)
        axes.grid(True, alpha=0.3)
        if axes.lines:
            axes.legend()
    for axes in panels[len(names) :]:
        axes.set_visible(False)
    return _save(figure, path)


def plot_confusion_matrix(
    matrix: np.ndarray | Sequence[Sequence[int]], class_names: Sequence[str], path: str | Path
) -> Path:
    """Draw a confusion matrix (rows: true class, columns: predicted class) to a PNG.

    Args:
        matrix: ``(n, n)`` counts in ``class_names`` order.
        class_names: the ``n`` class names.
        path: the PNG file to write (its folder is created).

    Returns:
        ``path``.

    Raises:
        ValueError: ``matrix`` is not ``(len(class_names), len(class_names))``.
    """
    counts = np.asarray(matrix)
    n = len(class_names)
    if counts.shape != (n, n):
        raise ValueError(f"confusion matrix shape {counts.shape} does not match {n} class names")
    size = max(4.0, 0.6 * n + 2.5)
    figure = Figure(figsize=(size + 1.0, size), layout="constrained")
    axes = figure.subplots()
    image = axes.imshow(counts, cmap="Blues", vmin=0)
    figure.colorbar(image, ax=axes)
    ticks = np.arange(n)
    axes.set_xticks(ticks, labels=list(class_names), rotation=45, ha="right")
    axes.set_yticks(ticks, labels=list(class_names))
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title("confusion matrix")
    threshold = counts.max() / 2 if counts.size and counts.max() > 0 else 0
    for row in range(n):
        for column in range(n):
            value = counts[row, column]
            color = "white" if value > threshold else "black"
            axes.text(column, row, f"{value:g}", ha="center", va="center", color=color)
    return _save(figure, path)
