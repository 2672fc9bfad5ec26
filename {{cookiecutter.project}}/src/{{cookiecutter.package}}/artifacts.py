"""The trained model's files: the one place that writes and reads them.

A training run's output folder (``make train``, default ``artifacts/``) holds
``model.keras`` (``keras.Model.save``; ``keras.saving.load_model`` reads it, see
https://keras.io/api/models/model_saving_apis/model_saving_and_loading/) and, beside it,
``facts.json`` (what ``dataset.load_data`` said of the data: the keywords the model was
built with), ``config.yaml`` (the run's configuration, whose data options ``load_data`` and
``load_inputs`` take again) and, for classification, ``class_names.json``: a JSON list of
the class names, where index ``i`` is class index ``i`` of the model's output. The evaluate,
predict and export commands read them through ``load_run``, so a model never travels
without the facts of its data.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np
import yaml

from .errors import ArtifactError, OutputError
from .options import DataOptions

__all__ = [
    "ArtifactError",
    "Run",
    "class_probabilities",
    "load_class_names",
    "load_facts",
    "load_run",
    "output_kind",
    "require_writable",
    "save_class_names",
    "save_facts",
]

MODEL_FILE = "model.keras"
CLASS_NAMES_FILE = "class_names.json"
FACTS_FILE = "facts.json"
CONFIG_FILE = "config.yaml"
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


def require_writable(folder: str | Path) -> Path:
    """Check, before any work, that this process can create or write ``folder``: it, or
    its nearest existing parent, is a folder this user may write (``os.access``). Nothing
    is created here.

    Raises:
        OutputError: it cannot be created or written (a bind mount owned by another user, a
            read-only file system); the message names the folder and the fix.
    """
    path = Path(folder)
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        what = "is not a folder" if not existing.is_dir() else "is not writable by this user"
        raise OutputError(
            f"cannot write to {path}: {existing} {what}. Run as the folder's owner (make "
            "image-train runs the image as your user), or make it writable "
            f"(chown/chmod {existing}), or choose another output folder"
        )
    return path


def jsonable(value: Any) -> Any:
    """``value`` with NumPy arrays and scalars, tuples and paths made JSON values."""
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value


def save_facts(folder: str | Path, facts: dict) -> Path:
    """Write ``folder/facts.json`` (``facts`` as JSON values) and, when the facts name
    ``class_names``, ``class_names.json``; returns the facts file.

    Raises:
        ArtifactError: a fact is not a JSON value (NumPy arrays are turned into lists).
    """
    path = Path(folder) / FACTS_FILE
    try:
        text = json.dumps(jsonable(facts), indent=2)
    except TypeError as error:
        raise ArtifactError(
            f"dataset.load_data's facts must be JSON values (numbers, strings, lists, dicts; "
            f"NumPy arrays are converted): {error}"
        ) from None
    path.write_text(text + "\n")
    if "class_names" in facts:
        save_class_names(folder, list(facts["class_names"]))
    return path


def load_facts(folder: str | Path) -> dict:
    """Read ``folder/facts.json`` (``save_facts``); a folder with only ``class_names.json``
    gives ``{"class_names": [...]}``.

    Raises:
        ArtifactError: neither file is there, or one is not valid.
    """
    path = Path(folder) / FACTS_FILE
    if not path.is_file():
        if (Path(folder) / CLASS_NAMES_FILE).is_file():
            return {"class_names": load_class_names(folder)}
        raise ArtifactError(
            f"facts file {path} not found: it is written beside the model by training. "
            "Train first: make train (or pass --model with a model.keras whose folder has it)."
        )
    try:
        facts = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise ArtifactError(f"facts file {path} is not valid JSON ({error}).") from None
    if not isinstance(facts, dict):
        raise ArtifactError(f"facts file {path} must hold a JSON object; train again.")
    if "class_names" in facts:
        facts["class_names"] = load_class_names(folder)
    return facts


def recorded_config(folder: str | Path) -> dict[str, Any]:
    """The fields of the run's ``config.yaml`` in ``folder`` (``{}`` without one)."""
    try:
        recorded = yaml.safe_load((Path(folder) / CONFIG_FILE).read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def run_data_options(recorded: dict[str, Any]) -> dict[str, Any]:
    """The ``options.DataOptions`` of a recorded configuration; the defaults for those it
    does not hold."""
    values = DataOptions().model_dump()
    values.update({name: recorded[name] for name in DataOptions.model_fields if name in recorded})
    return values


class Run(NamedTuple):
    """A trained model with what its run recorded: ``facts`` (``facts.json``), ``options``
    (the data options of its ``config.yaml``), ``label_mode`` (its configuration's, ``auto``
    without one) and ``kind`` (``output_kind``)."""

    model: keras.Model
    facts: dict
    options: dict
    label_mode: str
    kind: str

    @property
    def class_names(self) -> list[str] | None:
        """The class names of a classifier, ``None`` for other tasks."""
        return self.facts.get("class_names")


def load_run(model_path: str | Path, *, compile: bool = False) -> Run:
    """Load a ``.keras`` model and its run's facts and data options (``Run``).

    By default the model is loaded for inference only (``compile=False``); with
    ``compile=True`` its loss and metrics come back too (``model.evaluate``).

    Raises:
        ArtifactError: the model file or its facts are missing or unreadable, or (a
            classifier) the number of class names differs from the model's output size.
    """
    path = Path(model_path)
    if not path.is_file():
        raise ArtifactError(f"model file {path} not found. Train first: make train.")
    if path.suffix != ".keras":
        raise ArtifactError(
            f"model file {path} is not a .keras file (keras.Model.save writes one)."
        )
    facts = load_facts(path.parent)
    try:
        model = keras.saving.load_model(path, compile=compile)
    except (ValueError, OSError, TypeError) as error:
        raise ArtifactError(
            f"model file {path} cannot be loaded ({error}). Train again: make train."
        ) from error
    class_names = facts.get("class_names")
    if class_names is not None:
        outputs = model.output_shape[-1]
        if outputs != len(class_names) and not (outputs == 1 and len(class_names) == 2):
            raise ArtifactError(
                f"{path.parent / CLASS_NAMES_FILE} names {len(class_names)} classes but the "
                f"model {path} has {outputs} outputs: they come from different runs. Train "
                "first: make train."
            )
    recorded = recorded_config(path.parent)
    label_mode = str(recorded.get("label_mode", "auto"))
    return Run(model, facts, run_data_options(recorded), label_mode, output_kind(model, path))


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
