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
import zipfile
from pathlib import Path

import keras
import numpy as np

from .errors import ArtifactError

__all__ = [
    "ArtifactError",
    "class_probabilities",
    "load_class_names",
    "load_model_and_classes",
    "model_image_size",
    "output_kind",
    "save_class_names",
]

MODEL_FILE = "model.keras"
CLASS_NAMES_FILE = "class_names.json"
# Final activations whose outputs are probabilities already.
PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


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
        [0, 1] to ``(batch, len(class_names))`` class scores, or ``(batch, 1)`` for two
        classes (a sigmoid unit); ``output_kind`` says whether they are probabilities or
        logits, and ``class_probabilities`` turns either into probabilities.

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
    if outputs != len(class_names) and not (outputs == 1 and len(class_names) == 2):
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


def compiled_loss(model_path: str | Path) -> object:
    """The ``loss`` that the model in a ``.keras`` file was compiled with, as saved.

    A ``.keras`` file is a zip archive whose ``config.json`` holds the model's
    ``compile_config`` (https://keras.io/guides/serialization_and_saving/); it is read here
    without deserializing anything, so a custom loss needs no registration. Returns the
    serialized loss (a name, or ``{"class_name", "config", ...}``), or ``None`` when the
    model was saved without compiling.
    """
    try:
        with zipfile.ZipFile(model_path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    loss = (config.get("compile_config") or {}).get("loss")
    if isinstance(loss, list | tuple) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, dict) and "class_name" not in loss and len(loss) == 1:
        loss = next(iter(loss.values()))  # one named output
    return loss


def output_kind(model: keras.Model, model_path: str | Path | None = None) -> str:
    """Whether the model outputs ``"probabilities"`` or ``"logits"``.

    Decided, in this order:

    1. the compiled loss saved in ``model_path`` (``compiled_loss``): a loss object's
       ``from_logits`` (``SparseCategoricalCrossentropy(from_logits=True)``: logits); a loss
       given by name (``"sparse_categorical_crossentropy"``) takes probabilities, as every
       Keras loss function does by default;
    2. otherwise (a custom loss without ``from_logits``, or no compiled loss) the final layer:
       a ``softmax``/``sigmoid`` activation (or a ``Softmax`` layer) gives probabilities,
       anything else logits.
    """
    loss = compiled_loss(model_path) if model_path is not None else None
    if isinstance(loss, dict):
        from_logits = (loss.get("config") or {}).get("from_logits")
        if isinstance(from_logits, bool):
            return "logits" if from_logits else "probabilities"
    elif isinstance(loss, str):
        return "probabilities"
    last = model.layers[-1] if model.layers else None
    if isinstance(last, keras.layers.Softmax):
        return "probabilities"
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    return "probabilities" if activation in PROBABILITY_ACTIVATIONS else "logits"


def class_probabilities(outputs: np.ndarray, kind: str) -> np.ndarray:
    """Per-class probabilities, float32 ``(batch, classes)`` in [0, 1], from model outputs.

    Args:
        outputs: float ``(batch, classes)`` scores, or ``(batch, 1)`` for two classes.
        kind: ``"probabilities"`` (returned as they are) or ``"logits"`` (softmax over
            classes; the logistic sigmoid for a single unit).

    A single unit ``p`` becomes the two columns ``(1 - p, p)``: class index 1 is the
    positive class, as ``label_mode="binary"`` encodes it.
    """
    values = np.asarray(outputs, dtype=np.float32)
    if kind == "logits":
        if values.shape[-1] == 1:
            values = 1.0 / (1.0 + np.exp(-values))
        else:
            shifted = np.exp(values - values.max(axis=-1, keepdims=True))
            values = shifted / shifted.sum(axis=-1, keepdims=True)
    elif kind != "probabilities":
        raise ValueError(f"kind must be 'probabilities' or 'logits', got {kind!r}")
    if values.shape[-1] == 1:
        values = np.concatenate([1.0 - values, values], axis=-1)
    return values
