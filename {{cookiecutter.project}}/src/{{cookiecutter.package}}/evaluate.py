"""Evaluation command line: measure a trained model on labelled data, for any task.

Usage::

    python -m {{ cookiecutter.package }}.evaluate
        --model artifacts/model.keras --data-dir data/test --output-dir artifacts/evaluation

The data is read by your ``dataset.load_data`` with no validation split, with the data
options of the model's run (its ``config.yaml``), as training read it. Every compiled loss
and metric of the model is measured (``keras.Model.evaluate``) under its own name.

For classification (the run's facts name ``class_names``) the data's class names must be
among the model's and may be a subset of them, and the evaluation adds ``accuracy``,
``per_class`` (``{name: {precision, recall, f1, support}}``) and ``confusion_matrix`` (rows
are true classes and columns predicted classes in ``class_names`` order), drawn in
``confusion_matrix.png``, and printed as a table. The predicted class is the largest of
``artifacts.class_probabilities``, so a model that outputs logits or one sigmoid unit is
measured the same way as a softmax model. The metrics follow the usual definitions
(precision = TP / predicted, recall = TP / support, F1 = their harmonic mean; 0 where a
denominator is 0), computed with numpy.

Writes ``evaluation.json`` to ``--output-dir``: ``metrics`` (the compiled ones), ``examples``,
``model``, ``data_dir`` and the classification entries above. A bad data folder, a class the
model does not know, or a missing model exits with status 2 and one ``error:`` line naming
it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import keras
import numpy as np

from . import dataset as user_dataset
from . import feeds
from .artifacts import Run, class_probabilities, load_run, require_writable
from .cli import run
from .config import EvaluateConfig
from .errors import DataError
from .training import targets
from .training.plots import plot_confusion_matrix

__all__ = ["EvaluateConfig", "evaluate", "main"]

EVALUATION_FILE = "evaluation.json"
CONFUSION_MATRIX_FILE = "confusion_matrix.png"


def confusion_matrix(true: Sequence[int], predicted: Sequence[int], num_classes: int) -> np.ndarray:
    """int64 ``(num_classes, num_classes)`` counts: row = true class, column = predicted class."""
    true_array = np.asarray(true, dtype=np.int64)
    predicted_array = np.asarray(predicted, dtype=np.int64)
    if true_array.shape != predicted_array.shape:
        raise ValueError(f"{true_array.size} true labels but {predicted_array.size} predictions")
    flat = np.bincount(true_array * num_classes + predicted_array, minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes)


def classification_report(matrix: np.ndarray, class_names: Sequence[str]) -> dict:
    """Accuracy and per-class precision, recall, F1 and support from a confusion matrix.

    Returns:
        ``{"accuracy": float, "per_class": {name: {"precision", "recall", "f1", "support"}}}``;
        a ratio whose denominator is 0 (a class never predicted, or absent) is 0.0.
    """
    counts = np.asarray(matrix, dtype=np.float64)
    true_positives = np.diag(counts)
    support = counts.sum(axis=1)
    predicted = counts.sum(axis=0)

    def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        return np.divide(
            numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0
        )

    precision = ratio(true_positives, predicted)
    recall = ratio(true_positives, support)
    f1 = ratio(2 * precision * recall, precision + recall)
    total = counts.sum()
    per_class = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(class_names)
    }
    accuracy = float(true_positives.sum() / total) if total else 0.0
    return {"accuracy": accuracy, "per_class": per_class}


def class_index_map(run: Run, facts: dict, data_dir) -> np.ndarray | None:
    """For classification, the model's class index of each of the data's class indices;
    ``None`` for other tasks.

    Raises:
        errors.DataError: the data names classes the model does not know, or names none
            while the model is a classifier.
    """
    model_classes = run.class_names
    if model_classes is None:
        return None
    data_classes = facts.get("class_names")
    if data_classes is None:
        raise DataError(
            f"the data in {data_dir} names no classes (no class_names in dataset.load_data's "
            f"facts) but the model is a classifier of {', '.join(model_classes)}"
        )
    unknown = [name for name in data_classes if name not in model_classes]
    if unknown:
        raise DataError(
            f"class(es) {', '.join(unknown)} in {data_dir} are not classes of the model "
            f"(it knows: {', '.join(model_classes)}). Rename or remove them."
        )
    return np.array([model_classes.index(name) for name in data_classes], np.int32)


def evaluate(config: EvaluateConfig) -> dict:
    """Evaluate ``config.model`` on the labelled data ``config.data_dir``; write
    ``evaluation.json`` (and, for classification, ``confusion_matrix.png``) to
    ``config.output``.

    Returns:
        The contents of ``evaluation.json`` (see the module docstring).

    Raises:
        errors.ArtifactError: the model or its run's files cannot be used.
        errors.DataError: the data cannot be used (``load_data``), or names a class the
            model does not know.
        errors.OutputError: the output folder cannot be written.
    """
    loaded = load_run(config.model, compile=True)
    model = loaded.model
    data, _, facts = user_dataset.load_data(
        config.data_dir,
        validation_split=0.0,
        seed=0,
        batch_size=config.batch_size,
        **targets.accepted(user_dataset.load_data, loaded.options),
    )
    to_model = class_index_map(loaded, facts, config.data_dir)
    if to_model is not None:  # the data's class indices -> the model's
        data = feeds.map_targets(data, remap(to_model))
    result: dict = {}
    if getattr(model, "compiled", False) and model.loss is not None:
        scored = data
        if to_model is not None:
            classes = len(loaded.class_names)
            mode = targets.label_mode(model, classes, loaded.label_mode)
            scored = feeds.map_targets(data, targets.encoder(mode, classes))
        arrays = feeds.form(scored) == "arrays"
        inputs = {"x": scored[0], "y": scored[1]} if arrays else {"x": scored}
        values = model.evaluate(**inputs, batch_size=config.batch_size, return_dict=True, verbose=0)
        result["metrics"] = {name: float(value) for name, value in values.items()}
    true, predicted, examples = [], [], 0
    for x, y in feeds.batches(data, config.batch_size):
        examples += len(feeds.first_array(y))
        if to_model is not None:
            outputs = model.predict_on_batch(x)
            predicted.append(np.argmax(class_probabilities(outputs, loaded.kind), axis=-1))
            true.append(np.asarray(y).reshape(-1))
    result.update(examples=examples, model=str(config.model), data_dir=str(config.data_dir))
    output = require_writable(config.output)
    output.mkdir(parents=True, exist_ok=True)
    if to_model is not None:
        class_names = loaded.class_names
        matrix = confusion_matrix(np.concatenate(true), np.concatenate(predicted), len(class_names))
        result.update(
            classification_report(matrix, class_names),
            confusion_matrix=matrix.tolist(),
            class_names=list(class_names),
        )
        plot_confusion_matrix(matrix, class_names, output / CONFUSION_MATRIX_FILE)
    (output / EVALUATION_FILE).write_text(json.dumps(result, indent=2) + "\n")
    return result


def remap(to_model: np.ndarray):
    """A ``keras.ops`` function mapping a batch of the data's class indices to the model's."""
    return lambda targets: keras.ops.take(to_model, keras.ops.cast(targets, "int32"))


def format_table(result: dict) -> str:
    """The per-class precision, recall, F1 and support, then the accuracy, as plain text."""
    width = max(12, *(len(name) for name in result["per_class"]))
    header = f"{'class':<{width}}  {'precision':>9}  {'recall':>9}  {'f1':>9}  {'support':>9}"
    lines = [header, "-" * len(header)]
    for name, row in result["per_class"].items():
        lines.append(
            f"{name:<{width}}  {row['precision']:>9.3f}  {row['recall']:>9.3f}  "
            f"{row['f1']:>9.3f}  {row['support']:>9d}"
        )
    lines.append("-" * len(header))
    total = sum(row["support"] for row in result["per_class"].values())
    blank = ""
    lines.append(
        f"{'accuracy':<{width}}  {blank:>9}  {blank:>9}  {result['accuracy']:>9.3f}  {total:>9d}"
    )
    return "\n".join(lines)


def report(config: EvaluateConfig, result: dict) -> None:
    metrics = " ".join(f"{name}={value:.4f}" for name, value in result.get("metrics", {}).items())
    print(f"{result['examples']} examples: {metrics or 'the model has no compiled metrics'}")
    written = [config.output / EVALUATION_FILE]
    if "per_class" in result:
        print(format_table(result))
        written.append(config.output / CONFUSION_MATRIX_FILE)
    print(f"-> {', '.join(str(path) for path in written)}")


def main(argv: list[str] | None = None) -> int:
    return run(EvaluateConfig, evaluate, report, argv, prog=f"python -m {__package__}.evaluate")


if __name__ == "__main__":
    sys.exit(main())
