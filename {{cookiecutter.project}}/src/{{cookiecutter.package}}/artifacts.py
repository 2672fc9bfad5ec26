"""The trained model's files: the one place that writes and reads them.

A training run's output folder (``make train``, default ``artifacts/``) holds
``model.keras`` (``keras.Model.save``; ``keras.saving.load_model`` reads it, see
https://keras.io/api/models/model_saving_apis/model_saving_and_loading/) and, beside it,
``class_names.json``: a JSON list of the class names, where index ``i`` is class index ``i``
of the model's output (the sorted class sub-folder names of the training data). The
evaluate, predict and export commands read both through ``load_model_and_classes``, so a
model never travels without the names of its outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

MODEL_FILE = "model.keras"
CLASS_NAMES_FILE = "class_names.json"


class ArtifactError(ValueError):
    """A model file or its class names that cannot be used; the message names it and the fix."""


def save_class_names(folder: str | Path, names: list[str]) -> Path:
    """Write ``folder/class_names.json``: the JSON list ``names`` (index = class index).

    Creates ``folder`` if needed; returns the written path.

    Raises:
        ValueError: ``names`` is empty, holds a non-string or a duplicate.
    """
    names = list(names)
    if not names or not all(isinstance(name, str) for name in names):
        raise ValueError(f"class names must be a non-empty list of strings, got {names!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"class names must be unique, got {names!r}")
    path = Path(folder) / CLASS_NAMES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(names, indent=2) + "\n")
    return path


def load_class_names(folder: str | Path) -> list[str]:
    """Read ``folder/class_names.json`` (written by ``save_class_names``).

    Raises:
        ArtifactError: the file is missing or is not a JSON list of unique strings.
    """
    path = Path(folder) / CLASS_NAMES_FILE
    if not path.is_file():
        raise ArtifactError(
            f"class names file {path} not found: it is written beside the model by training. "
            "Train first: make train (or pass --model with a model.keras whose folder has it)."
        )
    try:
        names = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArtifactError(f"class names file {path} is not valid JSON ({error}).") from error
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(name, str) for name in names)
        or len(set(names)) != len(names)
    ):
        raise ArtifactError(
            f"class names file {path} must hold a JSON list of unique class names; "
            "train first: make train."
        )
    return names


def load_model_and_classes(
    model_path: str | Path, *, compile: bool = False
) -> tuple[keras.Model, list[str]]:
    """Load ``model.keras`` (or ``best.keras``, any ``.keras`` file) and its class names.

    The class names come from ``class_names.json`` in the model file's folder. By default
    the model is loaded for inference only (``compile=False``: no optimizer state, loss or
    metrics); pass ``compile=True`` to go on training it.

    Returns:
        ``(model, class_names)``: the model maps float32 ``(batch, height, width, 3)`` in
        [0, 1] to ``(batch, len(class_names))`` class probabilities.

    Raises:
        ArtifactError: the model file or ``class_names.json`` is missing or unreadable, or the
            number of class names differs from the model's output size.
    """
    path = Path(model_path)
    if not path.is_file():
        raise ArtifactError(f"model file {path} not found. Train first: make train.")
    if path.suffix != ".keras":
        raise ArtifactError(
            f"model file {path} is not a .keras file (keras.Model.save writes one)."
        )
    class_names = load_class_names(path.parent)
    try:
        model = keras.saving.load_model(path, compile=compile)
    except (ValueError, OSError) as error:
        raise ArtifactError(
            f"model file {path} cannot be loaded ({error}). Train again: make train."
        ) from error
    outputs = model.output_shape[-1]
    if outputs != len(class_names):
        raise ArtifactError(
            f"{path.parent / CLASS_NAMES_FILE} names {len(class_names)} classes but the model "
            f"{path} has {outputs} outputs: they come from different runs. Train first: "
            "make train."
        )
    return model, class_names


def model_image_size(model: keras.Model) -> tuple[int, int]:
    """``(height, width)`` of the model's ``(batch, height, width, 3)`` image input.

    Raises:
        ArtifactError: the input is not a fixed-size RGB image batch.
    """
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[3] != 3 or shape[1] is None or shape[2] is None:
        raise ArtifactError(
            f"the model's input shape {shape} is not (batch, height, width, 3) with a fixed size."
        )
    return int(shape[1]), int(shape[2])
