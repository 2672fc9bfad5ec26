"""Export a trained model as a TensorFlow SavedModel for serving: ``make export``.

Usage::

    python -m {{ cookiecutter.package }}.export
        --model artifacts/model.keras --output-dir artifacts/export

Writes a SavedModel with ``keras.export.ExportArchive``
(https://keras.io/api/models/model_saving_apis/export/) whose one endpoint ``serve`` (also
its ``serving_default`` signature) maps ``images``, float32 ``(batch, height, width, 3)`` in
[0, 1], to ``{"probabilities": float32 (batch, classes)}``, per-class probabilities in [0, 1]
whatever the model outputs: a model that outputs logits gets its softmax (one sigmoid unit:
``1 - p, p``) inside the endpoint (``artifacts.output_kind``, ``class_probabilities``). The
model runs with ``training=False``, so augmentation layers are inert. TensorFlow Serving's
REST API returns the output as ``predictions``. The export is reloaded with
``tf.saved_model.load`` and ``serve`` must agree with the Keras model on a batch
(``np.allclose``, ``atol=1e-5``) before success is reported; ``class_names.json`` is copied
beside it, so a client can name the columns. A missing model, or an export that disagrees,
exits with status 2 and one ``error:`` line.
"""

from __future__ import annotations

import sys

import keras
import numpy as np
import tensorflow as tf

from .artifacts import (
    class_probabilities,
    load_model_and_classes,
    model_image_size,
    output_kind,
    save_class_names,
)
from .cli import run
from .config import ExportConfig
from .errors import ArtifactError

__all__ = ["ExportConfig", "export_model", "main"]

ATOL = 1e-5
OUTPUT_NAME = "probabilities"


def serving_probabilities(outputs: tf.Tensor, kind: str) -> tf.Tensor:
    """``artifacts.class_probabilities`` in TensorFlow ops, for the ``serve`` graph."""
    if kind == "logits":
        outputs = tf.sigmoid(outputs) if outputs.shape[-1] == 1 else tf.nn.softmax(outputs)
    if outputs.shape[-1] == 1:
        outputs = tf.concat([1.0 - outputs, outputs], axis=-1)
    return outputs


def export_model(config: ExportConfig, *, check_batch_size: int = 4, seed: int = 0) -> dict:
    """Export ``config.model`` to a SavedModel in ``config.output`` and check the reloaded
    ``serve`` endpoint.

    Args:
        config: the model file (its folder holds ``class_names.json``) and the SavedModel
            folder; TensorFlow Serving expects it as a numbered version folder,
            ``models/<name>/1``.
        check_batch_size: images in the seeded random float32 batch of the check.
        seed: seed of that batch.

    Returns:
        ``{"path", "class_names", "input_shape", "outputs", "max_abs_difference"}``;
        ``outputs`` is what the model itself outputs (``"logits"`` or ``"probabilities"``).

    Raises:
        errors.ArtifactError: the model or its class names cannot be used, or the reloaded
            ``serve`` endpoint disagrees with the Keras model.
    """
    model, class_names = load_model_and_classes(config.model)
    height, width = model_image_size(model)
    kind = output_kind(model, config.model)
    output = config.output

    def serve(images):
        return {OUTPUT_NAME: serving_probabilities(model(images, training=False), kind)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serve",
        fn=serve,
        input_signature=[tf.TensorSpec((None, height, width, 3), tf.float32, name="images")],
    )
    archive.write_out(str(output), verbose=False)
    batch = np.random.default_rng(seed).random((check_batch_size, height, width, 3), np.float32)
    expected = class_probabilities(np.asarray(model(batch, training=False)), kind)
    # Keep ``reloaded`` referenced while ``serve`` runs: its variables are freed with it.
    reloaded = tf.saved_model.load(str(output))
    served = reloaded.serve(tf.constant(batch))[OUTPUT_NAME].numpy()
    difference = float(np.max(np.abs(served - expected)))
    if served.shape != expected.shape or not np.allclose(served, expected, atol=ATOL):
        raise ArtifactError(
            f"the SavedModel in {output} disagrees with {config.model}: max |difference| "
            f"{difference:g} > {ATOL:g} on a batch of shape {batch.shape}."
        )
    del reloaded
    # The same list as the model's class_names.json, checked against its outputs on load.
    save_class_names(output, class_names)
    return {
        "path": str(output),
        "class_names": class_names,
        "input_shape": [None, height, width, 3],
        "outputs": kind,
        "max_abs_difference": difference,
    }


def report(config: ExportConfig, result: dict) -> None:
    _, height, width, _ = result["input_shape"]
    print(
        f"exported {config.model} -> {result['path']} (serve: images float32 (batch, {height}, "
        f"{width}, 3) in [0, 1] -> {OUTPUT_NAME} (batch, {len(result['class_names'])}); the "
        f"model outputs {result['outputs']}; reloaded and checked, max |difference| "
        f"{result['max_abs_difference']:.1g})"
    )


def main(argv: list[str] | None = None) -> int:
    return run(ExportConfig, export_model, report, argv, prog=f"python -m {__package__}.export")


if __name__ == "__main__":
    sys.exit(main())
