"""The user's model, as the engine meets it: building it from ``model.build_model`` and
reading what its compiled loss takes.

``build`` calls ``build_model(image_size=(h, w), num_classes=n, **options)`` with the
options of ``config.ModelOptions`` that the function accepts (all of them when it takes
``**options``), and checks that it returned a compiled ``keras.Model`` with a loss.
``label_mode`` decides how the loaders encode the labels for that loss.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from ..config import TrainConfig
from ..data.labels import encode_labels
from ..errors import ModelError


def build(build_model: Callable[..., keras.Model], config: TrainConfig, num_classes: int):
    """The user's compiled model for ``config`` and ``num_classes`` classes.

    Call it inside the strategy's scope. Options the function does not take are left out,
    unless the configuration sets them explicitly (then it is an error: the user asked for
    something the model ignores).

    Raises:
        ModelError: the function rejects the call, returns no ``keras.Model``, or a model
            that is not compiled with a loss; the message names the fix.
    """
    parameters = inspect.signature(build_model).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    options = config.model_options()
    ignored = [name for name in options if not takes_any and name not in parameters]
    asked = [name for name in ignored if name in config.model_fields_set]
    if asked:
        raise ModelError(
            f"model.build_model does not take {', '.join(asked)}, which the configuration "
            "sets: add the parameter(s), or **options, to build_model"
        )
    kwargs = {name: value for name, value in options.items() if name not in ignored}
    size = (config.image_size, config.image_size)
    try:
        model = build_model(image_size=size, num_classes=num_classes, **kwargs)
    except TypeError as error:
        raise ModelError(
            f"model.build_model(image_size=..., num_classes=..., **options) failed: {error}. "
            "It must take image_size and num_classes as keywords"
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
    outputs = model.output_shape
    if not isinstance(outputs, tuple) or len(outputs) != 2:
        raise ModelError(
            f"the model's output shape is {outputs}; the engine trains one output of shape "
            "(batch, num_classes), or (batch, 1) for two classes"
        )
    units = outputs[-1]
    if units != num_classes and not (units == 1 and num_classes == 2):
        raise ModelError(
            f"the model outputs {units} values per image but the data has {num_classes} "
            "classes: build the output layer with num_classes units"
        )
    return model


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
