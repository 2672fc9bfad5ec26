"""Prediction command line: run a trained model on new inputs, for any task.

Usage::

    python -m {{ cookiecutter.package }}.predict
        --model artifacts/model.keras --input photos/ --output-dir artifacts/predictions

``--input`` is read by your ``dataset.load_inputs`` (with the data options of the model's
run, its ``config.yaml``), which returns one id per example (a file name, a row id) and the
inputs.

Writes ``predictions.csv`` to ``--output-dir`` (default: ``predictions/`` beside the model),
one row per input id, in ``load_inputs``'s order:

- classification (the run's facts name ``class_names``): ``id,class,probability``, the top-1
  class and its probability in [0, 1]. Probabilities come from
  ``artifacts.class_probabilities``: a model that outputs logits (its loss has
  ``from_logits=True``) gets a softmax, a single sigmoid unit the two columns ``1 - p, p``;
  see ``artifacts.output_kind``;
- any other task: ``id`` and the model's outputs as numbers, one column per output unit
  (``output`` for one unit, ``output_0``, ``output_1``, ... otherwise; a model with several
  outputs prefixes each with its name).

A missing model or input, or inputs that ``load_inputs`` cannot read, exit with status 2 and
one ``error:`` line.
"""

from __future__ import annotations

import csv
import sys
from typing import Any

import keras
import numpy as np

from . import dataset as user_dataset
from .artifacts import class_probabilities, load_run, require_writable
from .cli import run
from .config import PredictConfig
from .errors import DataError
from .training.targets import accepted

__all__ = ["PredictConfig", "main", "predict"]

PREDICTIONS_FILE = "predictions.csv"


def output_columns(outputs: Any) -> tuple[list[str], np.ndarray]:
    """``(column names, float rows)`` of a model's outputs: one column per output unit."""
    if isinstance(outputs, dict):
        named = list(outputs.items())
    elif isinstance(outputs, list | tuple):
        named = [(f"output{index}", value) for index, value in enumerate(outputs)]
    else:
        named = [("output", outputs)]
    names, columns = [], []
    for name, value in named:
        array = np.asarray(value, dtype=np.float64)
        array = array.reshape(len(array), -1)
        units = array.shape[1]
        names += [name] if units == 1 else [f"{name}_{unit}" for unit in range(units)]
        columns.append(array)
    return names, np.concatenate(columns, axis=1)


def predict(config: PredictConfig) -> dict:
    """Run ``config.model`` on ``config.input``; write ``predictions.csv`` to ``config.output``.

    Returns:
        ``{"rows": n, "columns": [...], "path": csv path}``.

    Raises:
        errors.ArtifactError: the model or its run's files cannot be used.
        errors.DataError: ``load_inputs`` cannot read the input, or returns another number
            of ids than of examples.
        errors.OutputError: the output folder cannot be written.
    """
    loaded = load_run(config.model)
    ids, inputs = user_dataset.load_inputs(
        config.input,
        batch_size=config.batch_size,
        **accepted(user_dataset.load_inputs, loaded.options),
    )
    ids = [str(name) for name in ids]
    if isinstance(inputs, keras.utils.PyDataset) or hasattr(inputs, "element_spec"):
        outputs = loaded.model.predict(inputs, verbose=0)
    else:
        outputs = loaded.model.predict(inputs, batch_size=config.batch_size, verbose=0)
    if loaded.class_names is not None:
        probabilities = class_probabilities(outputs, loaded.kind)
        top = np.argmax(probabilities, axis=-1)
        columns = ["class", "probability"]
        rows = [
            [loaded.class_names[index], f"{row[index]:.6f}"]
            for index, row in zip(top, probabilities, strict=True)
        ]
    else:
        columns, values = output_columns(outputs)
        rows = [[f"{value:.6g}" for value in row] for row in values]
    if len(rows) != len(ids):
        raise DataError(
            f"dataset.load_inputs returned {len(ids)} ids for {len(rows)} examples of "
            f"{config.input}: return one id per example"
        )
    output = require_writable(config.output)
    output.mkdir(parents=True, exist_ok=True)
    path = output / PREDICTIONS_FILE
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *columns])
        writer.writerows([name, *row] for name, row in zip(ids, rows, strict=True))
    return {"rows": len(rows), "columns": columns, "path": str(path)}


def report(config: PredictConfig, result: dict) -> None:
    columns = ", ".join(result["columns"])
    print(f"predicted {result['rows']} example(s) ({columns}) -> {result['path']}")


def main(argv: list[str] | None = None) -> int:
    return run(PredictConfig, predict, report, argv, prog=f"python -m {__package__}.predict")


if __name__ == "__main__":
    sys.exit(main())
