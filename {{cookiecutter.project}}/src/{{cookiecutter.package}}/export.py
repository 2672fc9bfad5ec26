"""Export command line: write the trained model as a TensorFlow SavedModel for serving.

Usage::

    python -m {{ cookiecutter.package }}.export --model artifacts/model.keras
        --output-dir artifacts/export

Writes a SavedModel with ``keras.Model.export`` (https://keras.io/api/models/model_saving_apis/export/):
a ``serve`` endpoint, also its ``serving_default`` signature, that maps float32
``(batch, height, width, 3)`` in [0, 1] to float32 ``(batch, classes)`` class probabilities
(TensorFlow Serving's REST API returns them as ``predictions``). The export is reloaded with
``tf.saved_model.load`` and ``serve`` must agree with the Keras model on a batch
(``np.allclose``, ``atol=1e-5``) before success is reported; ``class_names.json`` is copied
beside it, so a client can name the outputs. A missing model, or an export that disagrees,
exits with status 2 and one ``error:`` line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import tensorflow as tf

from .artifacts import ArtifactError, load_model_and_classes, model_image_size, save_class_names

ATOL = 1e-5


def export_model(
    model_path: str | Path, output_dir: str | Path, *, check_batch_size: int = 4, seed: int = 0
) -> dict:
    """Export the model to a SavedModel in ``output_dir`` and check the reloaded ``serve``.

    Args:
        model_path: the ``.keras`` file (its folder holds ``class_names.json``).
        output_dir: the SavedModel folder (``saved_model.pb``, ``variables/``); TensorFlow
            Serving expects it as a numbered version folder, ``models/<name>/1``.
        check_batch_size: images in the seeded random float32 batch of the check.
        seed: seed of that batch.

    Returns:
        ``{"path", "class_names", "input_shape", "max_abs_difference"}``.

    Raises:
        artifacts.ArtifactError: the model or its class names cannot be used, or the reloaded
            ``serve`` endpoint disagrees with the Keras model.
    """
    model, class_names = load_model_and_classes(model_path)
    height, width = model_image_size(model)
    output = Path(output_dir)
    model.export(str(output), format="tf_saved_model", verbose=False)
    batch = np.random.default_rng(seed).random((check_batch_size, height, width, 3), np.float32)
    expected = np.asarray(model(batch, training=False))
    # Keep ``reloaded`` referenced while ``serve`` runs: its variables are freed with it.
    reloaded = tf.saved_model.load(str(output))
    served = reloaded.serve(tf.constant(batch)).numpy()
    difference = float(np.max(np.abs(served - expected)))
    if served.shape != expected.shape or not np.allclose(served, expected, atol=ATOL):
        raise ArtifactError(
            f"the SavedModel in {output} disagrees with {model_path}: max |difference| "
            f"{difference:g} > {ATOL:g} on a batch of shape {batch.shape}."
        )
    del reloaded
    # The same list as the model's class_names.json, checked against its outputs on load.
    save_class_names(output, class_names)
    return {
        "path": str(output),
        "class_names": class_names,
        "input_shape": [None, height, width, 3],
        "max_abs_difference": difference,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Export a trained model as a SavedModel.")
    parser.add_argument("--model", default="artifacts/model.keras", help="a .keras model file")
    parser.add_argument(
        "--output-dir",
        default="artifacts/export",
        help="SavedModel folder (default: artifacts/export/)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = export_model(args.model, args.output_dir)
    except ArtifactError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _, height, width, _ = result["input_shape"]
    print(
        f"exported {args.model} -> {result['path']} (serve: float32 (batch, {height}, {width}, 3) "
        f"in [0, 1] -> {len(result['class_names'])} class probabilities; reloaded and checked, "
        f"max |difference| {result['max_abs_difference']:.1g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
