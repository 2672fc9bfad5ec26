"""The user's model, as the engine meets it: building it from ``model.build_model`` with the
data's facts, and, for a classification task, reading what its compiled loss takes.

``build`` calls ``build_model(**facts, **options)`` with the facts of ``dataset.load_data``
and the options of ``options.ModelOptions`` that the function accepts (all of them when it
takes ``**options``), and checks that it returned a compiled ``keras.Model`` with a loss.
For classification data (the facts name ``class_names``), ``label_mode`` decides how the
int class indices of the data are encoded for that loss and ``encoder`` encodes them.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from ..config import TrainConfig
from ..data.labels import encode_labels
from ..errors import ModelError


def accepted(function: Callable, values: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` that ``function`` takes as keywords (all with ``**``)."""
    parameters = inspect.signature(function).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(values)
    return {name: value for name, value in values.items() if name in parameters}


def build(build_model: Callable[..., keras.Model], config: TrainConfig, facts: Mapping[str, Any]):
    """The user's compiled model for ``config`` and the data's ``facts``.

    Call it inside the strategy's scope. Facts and options the function does not take are
    left out, unless the configuration sets an option to another value than its default
    (then it is an error: the user asked for something the model ignores).

    Raises:
        ModelError: the function rejects the call, returns no ``keras.Model``, or a model
            that is not compiled with a loss, or (classification) whose output does not
            match the classes; the message names the fix.
    """
    options = config.model_options()
    kwargs = accepted(build_model, options)
    # Asked for: set, and to another value than the default (a run's config.yaml sets every
    # field, so a rerun of a model that ignores an option must not fail on it).
    asked = [
        name
        for name in options
        if name not in kwargs
        and name in config.model_fields_set
        and options[name] != type(config).model_fields[name].get_default(call_default_factory=True)
    ]
    if asked:
        raise ModelError(
            f"model.build_model does not take {', '.join(asked)}, which the configuration "
            "sets: add the parameter(s), or **options, to build_model"
        )
    given = {**accepted(build_model, facts), **kwargs}
    try:
        model = build_model(**given)
    except TypeError as error:
        raise ModelError(
            f"model.build_model({', '.join(f'{name}=...' for name in given)}) failed: {error}. "
            f"It is called with the data's facts ({', '.join(facts) or 'none'}) and the "
            "options of options.ModelOptions, as keywords"
        ) from error
    except Exception as error:
        failed = download_failure(error)
        if failed is None:
            raise
        raise ModelError(failed) from None
    if not isinstance(model, keras.Model):
        raise ModelError(f"model.build_model returned {type(model).__name__}, not a keras.Model")
    if getattr(model, "optimizer", None) is None or model.loss is None:
        raise ModelError(
            "model.build_model must return a compiled model: call model.compile(optimizer=..., "
            "loss=..., metrics=[...]) before returning it"
        )
    if "class_names" in facts:
        check_classifier(model, len(facts["class_names"]))
    return model


def check_classifier(model: keras.Model, num_classes: int) -> None:
    """A classifier's output: one ``(batch, num_classes)`` output, or ``(batch, 1)`` for
    two classes.

    Raises:
        ModelError: another output shape.
    """
    outputs = model.output_shape
    if not isinstance(outputs, tuple) or len(outputs) != 2:
        raise ModelError(
            f"the model's output shape is {outputs}; the data names classes (class_names), so "
            "the model must have one output of shape (batch, num_classes), or (batch, 1) for "
            "two classes"
        )
    units = outputs[-1]
    if units != num_classes and not (units == 1 and num_classes == 2):
        raise ModelError(
            f"the model outputs {units} values per example but the data has {num_classes} "
            "classes: build the output layer with num_classes units"
        )


def keras_cache() -> Path:
    """Where ``keras.utils.get_file`` keeps ``keras.applications`` weights:
    ``$KERAS_HOME/models``, else ``~/.keras/models`` (keras ``src/utils/file_utils.py``;
    like Keras, ``/tmp/.keras`` when that folder is not writable)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    if not os.access(os.path.expanduser(home), os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return Path(home) / "models"


def download_failure(error: BaseException) -> str | None:
    """The one-line fix for Keras's ``URL fetch failure on URL: ...`` (weights that are not
    cached and cannot be downloaded), or ``None`` for any other error."""
    found = re.search(r"URL fetch failure on (\S+?):? ", str(error))
    if found is None:
        return None
    url = found.group(1)
    reason = " ".join(str(error)[found.end() :].split()).removeprefix("None -- ")
    return (
        f"the pretrained weights {url} are not in the Keras cache {keras_cache()} and cannot "
        f"be downloaded ({reason}): download that "
        f"file into {keras_cache()} (or set KERAS_HOME to a folder whose models/ holds it), "
        "or pass --weights PATH (a weights file, such as a run's backbone.weights.h5), or "
        "--weights none"
    )


def single_loss(model: keras.Model) -> Callable:
    """The compiled loss of a one-output model as a callable ``loss(y_true, y_pred)``."""
    loss = model.loss
    if isinstance(loss, list | tuple) and len(loss) == 1:
        loss = loss[0]
    if isinstance(loss, dict) and len(loss) == 1:
        loss = next(iter(loss.values()))
    return keras.losses.get(loss) if isinstance(loss, str) else loss


def label_mode(model: keras.Model, num_classes: int, requested: str = "auto") -> str:
    """How the loaders encode labels for ``model``'s loss (``data.labels.encode_labels``).

    ``requested`` other than ``auto`` is returned as it is. ``auto``: a model with one output
    unit takes ``binary`` labels; otherwise the compiled loss is called on two int class
    indices and then on their one-hot rows, and the first it accepts wins (``int`` for
    ``sparse_categorical_crossentropy``, ``categorical`` for ``categorical_crossentropy``).
    A loss that accepts both (a regression loss that broadcasts) gets ``int``: set
    ``label_mode`` in the configuration for it.

    Raises:
        ModelError: the loss accepts neither encoding, or ``binary`` for other than 2 classes.
    """
    units = model.output_shape[-1]
    mode = requested
    if mode == "auto":
        if units == 1:
            mode = "binary"
        else:
            loss = single_loss(model)
            scores = np.full((2, units), 1.0 / units, np.float32)
            indices = [0, 1 % num_classes]
            errors = []
            for candidate in ("int", "categorical"):
                try:
                    loss(encode_labels(indices, candidate, units), scores)
                except Exception as error:  # noqa: BLE001 - any refusal means: not this one
                    errors.append(f"{candidate}: {type(error).__name__}: {error}")
                    continue
                mode = candidate
                break
            else:
                raise ModelError(
                    f"the model's loss accepts neither int class indices nor one-hot rows "
                    f"({'; '.join(errors)}); set label_mode in the configuration"
                )
    if mode == "binary" and num_classes != 2:
        raise ModelError(
            f"label_mode 'binary' (a model with one output unit) needs 2 classes; the data "
            f"has {num_classes}: give the model num_classes outputs"
        )
    return mode


def encoder(mode: str, num_classes: int) -> Callable:
    """A ``keras.ops`` function encoding a batch of int class indices for ``mode``: ``int``
    int32 ``(batch,)``, ``categorical`` float32 one-hot ``(batch, num_classes)``, ``binary``
    float32 ``(batch, 1)``; as ``data.labels.encode_labels`` does for a list."""

    def encode(targets):
        indices = keras.ops.reshape(keras.ops.cast(targets, "int32"), (-1,))
        if mode == "categorical":
            return keras.ops.one_hot(indices, num_classes, dtype="float32")
        if mode == "binary":
            return keras.ops.reshape(keras.ops.cast(indices, "float32"), (-1, 1))
        return indices

    return encode
