"""Prediction command line: classify image files with a trained model.

Usage::

    python -m {{ cookiecutter.package }}.predict
        --model artifacts/model.keras --input photos/ --output-dir artifacts/predictions

``--input`` is one image file or a folder, searched recursively; files are recognised by
extension (``images.IMAGE_EXTENSIONS``, any case) and other files are skipped. Images are
read by the ``tf.data`` pipeline (``pipeline.make_dataset``) at the model's input size.

Writes ``predictions.csv`` to ``--output-dir`` (default: ``predictions/`` beside the model):
columns ``path,class,probability`` (the top-1 class and its probability, in [0, 1]), one row
per image, in sorted path order. Probabilities come from ``artifacts.class_probabilities``:
a model that outputs logits (its loss has ``from_logits=True``) gets a softmax, a single
sigmoid unit the two columns ``1 - p, p``; see ``artifacts.output_kind``. An image that
cannot be decoded is named on stderr and skipped; the run goes on and exits 0 when at least
one image was classified. A missing model or input, or no readable image, exits with
status 2 and one ``error:`` line.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from .artifacts import class_probabilities, load_model_and_classes, model_image_size, output_kind
from .cli import run
from .config import PredictConfig
from .data.images import IMAGE_EXTENSIONS, find_images, find_unreadable_images
from .data.pipeline import make_dataset
from .errors import DataError

__all__ = ["PredictConfig", "classify", "main", "predict"]

PREDICTIONS_FILE = "predictions.csv"


class Prediction(NamedTuple):
    """The top-1 class of one image and its probability."""

    path: str
    class_name: str
    probability: float


def find_input_images(input_path: str | Path) -> list[str]:
    """The image files of ``input_path``: the file itself, or a folder's, searched
    recursively as training searches a class folder (``data.images.find_images``).

    Raises:
        errors.DataError: ``input_path`` does not exist, is a file without an image
            extension, or is a folder holding no image file.
    """
    root = Path(input_path)
    if root.is_file():
        if root.suffix.lower() not in IMAGE_EXTENSIONS:
            raise DataError(
                f"{root} is not an image file ({', '.join(IMAGE_EXTENSIONS)}); pass an image "
                "or a folder of images."
            )
        return [str(root)]
    if not root.is_dir():
        raise DataError(f"input {root} does not exist; pass an image file or a folder.")
    found, _ = find_images(root)
    if not found:
        raise DataError(f"folder {root} holds no image file ({', '.join(IMAGE_EXTENSIONS)}).")
    return found


def classify(
    model: keras.Model,
    class_names: Sequence[str],
    paths: Sequence[str],
    *,
    batch_size: int = 32,
    kind: str = "probabilities",
) -> list[Prediction]:
    """Top-1 class and probability of each readable image file, in ``paths`` order.

    ``kind`` is what the model outputs (``artifacts.output_kind``): ``"probabilities"`` or
    ``"logits"``.

    Raises:
        tensorflow.errors.InvalidArgumentError: a file cannot be decoded (filter ``paths``
            with ``images.find_unreadable_images`` first).
    """
    if not paths:
        return []
    dataset = make_dataset(
        paths, [0] * len(paths), batch_size=batch_size, image_size=model_image_size(model)
    )
    outputs = model.predict(dataset.map(lambda x, y: x), verbose=0)
    probabilities = class_probabilities(outputs, kind)
    top = np.argmax(probabilities, axis=-1)
    return [
        Prediction(path, class_names[index], float(row[index]))
        for path, index, row in zip(paths, top, probabilities, strict=True)
    ]


def write_predictions(predictions: Sequence[Prediction], path: str | Path) -> Path:
    """Write ``path,class,probability`` rows to a CSV file (its folder is created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "class", "probability"])
        for prediction in predictions:
            probability = f"{prediction.probability:.6f}"
            writer.writerow([prediction.path, prediction.class_name, probability])
    return path


def predict(config: PredictConfig) -> tuple[list[Prediction], list[str]]:
    """Classify the images of ``config.input``; write ``predictions.csv`` to ``config.output``.

    Returns:
        ``(predictions, skipped)``: one prediction per readable image, and the paths that
        could not be decoded.

    Raises:
        errors.ArtifactError: the model or its ``class_names.json`` cannot be used.
        errors.DataError: as ``find_input_images``, or no image could be decoded.
    """
    model, class_names = load_model_and_classes(config.model)
    paths = find_input_images(config.input)
    skipped = find_unreadable_images(paths)
    unreadable = set(skipped)
    readable = [path for path in paths if path not in unreadable]
    if not readable:
        raise DataError(
            f"none of the {len(paths)} image file(s) in {config.input} can be decoded: "
            f"{', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}"
        )
    kind = output_kind(model, config.model)
    predictions = classify(model, class_names, readable, batch_size=config.batch_size, kind=kind)
    write_predictions(predictions, config.output / PREDICTIONS_FILE)
    return predictions, skipped


def report(config: PredictConfig, result: tuple[list[Prediction], list[str]]) -> None:
    predictions, skipped = result
    for path in skipped:
        print(f"warning: skipped {path}: cannot be decoded as an image", file=sys.stderr)
    print(
        f"classified {len(predictions)} image(s), skipped {len(skipped)} "
        f"-> {config.output / PREDICTIONS_FILE}"
    )


def main(argv: list[str] | None = None) -> int:
    return run(PredictConfig, predict, report, argv, prog=f"python -m {__package__}.predict")


if __name__ == "__main__":
    sys.exit(main())
