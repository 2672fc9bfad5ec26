"""Two-phase fine-tuning of a model's layer named ``backbone``, as in the keras.io guide
"Transfer learning & fine-tuning" (https://keras.io/guides/transfer_learning/).

``plan`` splits a run into phases, each a span of epochs with its own trainable layers:

1. ``head`` (epochs ``1..epochs``): with pretrained ``weights`` (``imagenet`` or a file), the
   backbone is frozen and only the rest of the model (the new head) trains; with ``weights``
   ``none``, or a model without a ``backbone`` layer, the whole model trains;
2. ``fine-tune`` (the next ``fine_tune_epochs``): the top ``fine_tune_layers`` layers with
   weights of the backbone are unfrozen, its BatchNormalization layers kept non-trainable
   (a non-trainable ``BatchNormalization`` runs in inference mode in Keras 3), and the
   model is recompiled
   with its own compile configuration (``get_compile_config``/``compile_from_config``: the
   user's loss and metrics stay) at ``fine_tune_learning_rate``.

The history's ``phase`` column (1 or 2, from ``PhaseLogger``) says which phase each epoch
belonged to.
"""

from __future__ import annotations

from typing import NamedTuple

import keras

from ..config import TrainConfig
from ..errors import ModelError

BACKBONE = "backbone"
PHASE_NAMES = {1: "head", 2: "fine-tune"}


class Phase(NamedTuple):
    """Phase ``number`` trains epochs ``initial_epoch + 1 .. epochs`` (Keras's counting)."""

    number: int
    initial_epoch: int
    epochs: int


def find_backbone(model: keras.Model) -> keras.layers.Layer | None:
    """``model``'s layer named ``backbone``, or ``None``."""
    try:
        return model.get_layer(BACKBONE)
    except ValueError:
        return None


def plan(model: keras.Model, config: TrainConfig) -> list[Phase]:
    """The phases of ``config`` for ``model``, with phase 1's layers frozen.

    Raises:
        ModelError: ``fine_tune_epochs`` set explicitly but the model has no ``backbone``.
    """
    backbone = find_backbone(model)
    if backbone is None:
        if config.fine_tune_epochs and "fine_tune_epochs" in config.model_fields_set:
            raise ModelError(
                f"fine_tune_epochs is {config.fine_tune_epochs} but the model has no layer "
                "named 'backbone' to fine-tune: name the pretrained part of build_model's "
                "model 'backbone' (or choose one with --backbone), or leave fine_tune_epochs 0"
            )
        return [Phase(1, 0, config.epochs)]
    if config.weights != "none":
        backbone.trainable = False  # phase 1: the head only
    phases = [Phase(1, 0, config.epochs)]
    if config.fine_tune_epochs:
        phases.append(Phase(2, config.epochs, config.epochs + config.fine_tune_epochs))
    return phases


def unfreeze_top(model: keras.Model, layers: int | None, learning_rate: float) -> int:
    """Phase 2: unfreeze the top ``layers`` layers that hold weights of the backbone
    (``None``: all; BatchNormalization layers count but stay frozen), keep its
    BatchNormalization layers frozen, and recompile with the model's own compile config at
    ``learning_rate``. Call it inside the strategy's scope. Returns the trainable weights.

    Raises:
        ModelError: the model's compile configuration cannot be serialized (a loss or metric
            that is not registered with ``keras.saving.register_keras_serializable``).
    """
    backbone = find_backbone(model)
    compile_config = model.get_compile_config()
    if not compile_config or "optimizer" not in compile_config:
        raise ModelError(
            "fine-tuning recompiles the model from model.get_compile_config(), which is empty: "
            "compile it with serializable (registered) optimizer, loss and metrics"
        )
    backbone.trainable = True
    inner = backbone.layers if hasattr(backbone, "layers") else [backbone]
    weighted = [layer for layer in inner if layer.weights]
    top = weighted[-layers:] if layers is not None else weighted
    for layer in inner:
        if layer not in top or isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    optimizer = compile_config["optimizer"]
    if isinstance(optimizer, str):  # compiled with a name such as "adam"
        optimizer = keras.optimizers.serialize(keras.optimizers.get(optimizer))
    optimizer["config"] = {**optimizer["config"], "learning_rate": learning_rate}
    model.compile_from_config({**compile_config, "optimizer": optimizer})
    return len(model.trainable_weights)


class PhaseLogger(keras.callbacks.Callback):
    """Adds ``phase`` (1 or 2) to every epoch's logs, so ``CSVLogger`` records it; put it
    before ``CSVLogger``."""

    def __init__(self, phase: int = 1) -> None:
        super().__init__()
        self.phase = phase

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["phase"] = self.phase
