"""Evaluation command line: measure a trained model on a labelled image folder.

Usage::

    python -m {{ cookiecutter.package }}.evaluate
        --model artifacts/model.keras --data-dir data/test --output-dir artifacts/evaluation

The folder has the training layout (``DATA_DIR/<class name>/<image file>``, see
``images.py``); its class names must be among the model's (``class_names.json`` beside the
model), and may be a subset of them. Images are read by the ``tf.data`` pipeline
(``pipeline.make_dataset``) at the model's input size.

Writes to ``--output-dir``: ``evaluation.json`` (``accuracy``, ``per_class``: ``{name:
{precision, recall, f1, support}}``, ``confusion_matrix``: rows are true classes and columns
predicted classes in ``class_names`` order, ``class_names``, ``examples``) and
``confusion_matrix.png``; prints the per-class table on stdout. The predicted class is the
largest of ``artifacts.class_probabilities``, so a model that outputs logits or one sigmoid
unit is measured the same way as a softmax model. The metrics follow the usual
definitions (precision = TP / predicted, recall = TP / support, F1 = their harmonic mean; 0
where a denominator is 0), computed with numpy. A bad folder, an image that cannot be
decoded, a class folder the model does not know, or a missing model exits with status 2 and
one ``error:`` line naming it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

import numpy as np

from .artifacts import class_probabilities, load_model_and_classes, model_image_size, output_kind
from .cli import run
from .config import EvaluateConfig
from .data.images import list_image_folder, require_readable
from .data.pipeline import make_dataset
from .errors import DataError
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


def evaluate(config: EvaluateConfig) -> dict:
    """Evaluate ``config.model`` on the labelled class folder ``config.data_dir``; write
    ``evaluation.json`` and ``confusion_matrix.png`` to ``config.output``.

    Returns:
        The contents of ``evaluation.json`` (see the module docstring).

    Raises:
        errors.ArtifactError: the model or its ``class_names.json`` cannot be used.
        errors.DataError: the folder cannot be used, an image cannot be decoded, or a class
            sub-folder is not one of the model's classes.
    """
    model, class_names = load_model_and_classes(config.model)
    paths, labels, folder_classes = list_image_folder(config.data_dir)
    unknown = [name for name in folder_classes if name not in class_names]
    if unknown:
        raise DataError(
            f"class folder(s) {', '.join(unknown)} in {config.data_dir} are not classes of the "
            f"model {config.model} (it knows: {', '.join(class_names)}). Rename or remove them."
        )
    require_readable(paths)
    # The folder's class indices follow its own sorted names; map them to the model's.
    to_model = np.array([class_names.index(name) for name in folder_classes])
    true = to_model[np.asarray(labels)]
    dataset = make_dataset(
        paths, true.tolist(), batch_size=config.batch_size, image_size=model_image_size(model)
    )
    outputs = model.predict(dataset.map(lambda x, y: x), verbose=0)
    predicted = np.argmax(class_probabilities(outputs, output_kind(model, config.model)), axis=-1)
    matrix = confusion_matrix(true, predicted, len(class_names))
    result = {
        **classification_report(matrix, class_names),
        "confusion_matrix": matrix.tolist(),
        "class_names": list(class_names),
        "examples": len(paths),
        "model": str(config.model),
        "data_dir": str(config.data_dir),
    }
    output = config.output
    output.mkdir(parents=True, exist_ok=True)
    (output / EVALUATION_FILE).write_text(json.dumps(result, indent=2) + "\n")
    plot_confusion_matrix(matrix, class_names, output / CONFUSION_MATRIX_FILE)
    return result


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
    print(format_table(result))
    print(f"-> {config.output / EVALUATION_FILE}, {config.output / CONFUSION_MATRIX_FILE}")


def main(argv: list[str] | None = None) -> int:
    return run(EvaluateConfig, evaluate, report, argv, prog=f"python -m {__package__}.evaluate")


if __name__ == "__main__":
    sys.exit(main())
