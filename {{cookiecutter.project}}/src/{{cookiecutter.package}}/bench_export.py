"""Measure every export beside Keras on this machine's CPU, in one run: ``make bench-export``.

Usage::

    python -m {{ cookiecutter.package }}.bench_export
        --model artifacts/model.keras [--data-dir data/demo]

Exports and checks every format (``export.export_model`` with ``--format all``: the same
thresholds, files and ``export.json``), then prints one table: per format the file size,
the load time and the latency of one call at batch 1 and batch 32 (median and 95th
percentile of ``--repeats`` calls after one warm-up). Each runtime is timed in its own
subprocess (``runtimes``: ONNX Runtime, LiteRT, OpenVINO), the SavedModel with
``tf.saved_model.load`` and its ``serve`` endpoint, Keras with ``keras.saving.load_model``
and ``predict_on_batch``. Every runtime gets the same batches: seeded random inputs of the
model's input spec (latency does not depend on the values). Figures vary with the machine
and its load: compare them within one run.
"""

from __future__ import annotations

import sys
import time
from typing import Literal

import keras
import numpy as np
import tensorflow as tf
from pydantic import Field

from .cli import run
from .config import ExportConfig
from .export import export_model, input_specs, input_structure, random_batch
from .runtimes import latency

__all__ = ["BenchExportConfig", "bench_export", "main"]


class BenchExportConfig(ExportConfig):
    """Export every format and time each beside Keras."""

    format: Literal["all"] = Field("all", description="every format, always")
    repeats: int = Field(50, ge=1, description="timed calls per batch size")


def bench_export(config: BenchExportConfig) -> dict:
    """Export ``config.model`` in every format and time each (see the module docstring).

    Returns:
        ``{format: {"bytes", "load_seconds", "latency_ms": {"1": [median, p95], "32": [...]}}}``
        for ``keras``, ``saved_model`` and every runtime format.

    Raises:
        The errors of ``export.export_model``.
    """
    result = export_model(config, repeats=config.repeats)
    rows: dict = {}
    start = time.perf_counter()
    model = keras.saving.load_model(config.model, compile=False)
    loaded = time.perf_counter() - start
    batch = random_batch(input_specs(model), 32, seed=0)
    structure = input_structure(model)

    def predict(x):
        return model.predict_on_batch(keras.tree.pack_sequence_as(structure, x))

    rows["keras"] = {
        "bytes": config.model.stat().st_size,
        "load_seconds": loaded,
        "latency_ms": {
            str(size): latency(predict, sized(batch, size), config.repeats) for size in (1, 32)
        },
    }
    start = time.perf_counter()
    reloaded = tf.saved_model.load(str(config.output))
    loaded = time.perf_counter() - start
    name = result["output"]  # the endpoint's output key, as export_model named it

    def serve(x):
        return reloaded.serve(*[tf.constant(a) for a in x])[name].numpy()

    rows["saved_model"] = {
        "bytes": result["formats"]["saved_model"]["bytes"],
        "load_seconds": loaded,
        "latency_ms": {
            str(size): latency(serve, sized(batch, size), config.repeats) for size in (1, 32)
        },
    }
    for fmt, figures in result["formats"].items():
        if "runtime" in figures:
            rows[fmt] = {"bytes": figures["bytes"], **figures["runtime"]}
            rows[fmt].pop("modules", None)
    return rows


def sized(batch: list[np.ndarray], size: int) -> list[np.ndarray]:
    return [np.resize(x, (size, *x.shape[1:])) for x in batch]


def format_table(rows: dict) -> str:
    """The Markdown table the README shows."""
    lines = [
        "| format | file | load | batch 1 median / p95 | batch 32 median / p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for fmt, row in rows.items():
        one, many = row["latency_ms"]["1"], row["latency_ms"]["32"]
        lines.append(
            f"| {fmt} | {row['bytes'] / 1e3:.0f} kB | {row['load_seconds'] * 1000:.0f} ms | "
            f"{one[0]:.3f} / {one[1]:.3f} ms | {many[0]:.3f} / {many[1]:.3f} ms |"
        )
    return "\n".join(lines)


def report(config: BenchExportConfig, rows: dict) -> None:
    print(format_table(rows))


def main(argv: list[str] | None = None) -> int:
    return run(
        BenchExportConfig, bench_export, report, argv, prog=f"python -m {__package__}.bench_export"
    )


if __name__ == "__main__":
    sys.exit(main())
