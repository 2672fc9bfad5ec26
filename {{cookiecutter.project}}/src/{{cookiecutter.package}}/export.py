"""Export a trained model as a TensorFlow SavedModel for serving: ``make export``.

Usage::

    python -m {{ cookiecutter.package }}.export
        --model artifacts/model.keras --output-dir artifacts/export

Writes a SavedModel with ``keras.export.ExportArchive``
(https://keras.io/api/models/model_saving_apis/export/) whose one endpoint ``serve`` (also
its ``serving_default`` signature) takes the model's own inputs, whatever their number,
shape or dtype (one ``tf.TensorSpec`` per input of ``model.input``, the batch dimension
free, named after the input), and runs the model with ``training=False`` (augmentation
layers are inert):

- classification (the run's facts name ``class_names``): it returns ``{"probabilities":
  float32 (batch, classes)}``, per-class probabilities in [0, 1] whatever the model outputs:
  a model that outputs logits gets its softmax (one sigmoid unit: ``1 - p, p``) inside the
  endpoint (``artifacts.output_kind``, ``class_probabilities``), and ``class_names.json`` is
  copied beside it, so a client can name the columns;
- any other task: ``{"outputs": ...}``, the model's outputs as they are.

TensorFlow Serving's REST API returns the output as ``predictions``. The export is reloaded
with ``tf.saved_model.load`` and ``serve`` must agree with the Keras model on a seeded
random batch of the input spec (``np.allclose``, ``atol=1e-5``) before success is reported.
A missing model, or an export that disagrees, exits with status 2 and one ``error:`` line.
"""

from __future__ import annotations

import re
import sys

import keras
import numpy as np
import tensorflow as tf

from .artifacts import load_run, require_writable, save_class_names
from .cli import run
from .config import ExportConfig
from .errors import ArtifactError

__all__ = ["ExportConfig", "export_model", "main"]

ATOL = 1e-5
# The size given to a free dimension other than the batch in the check's random batch.
FREE_DIMENSION = 8


def serving_probabilities(outputs: tf.Tensor, kind: str) -> tf.Tensor:
    """``artifacts.class_probabilities`` in TensorFlow ops, for the ``serve`` graph."""
    if kind == "logits":
        outputs = tf.sigmoid(outputs) if outputs.shape[-1] == 1 else tf.nn.softmax(outputs)
    if outputs.shape[-1] == 1:
        outputs = tf.concat([1.0 - outputs, outputs], axis=-1)
    return outputs


def input_structure(model: keras.Model):
    """``model.input``: one input, or the list or dict of them; a ``keras.Sequential`` loaded
    from a file has no ``input`` attribute, only its list ``inputs`` of one."""
    try:
        return model.input
    except AttributeError:
        inputs = model.inputs
        return inputs[0] if len(inputs) == 1 else inputs


def input_specs(model: keras.Model) -> list[tf.TensorSpec]:
    """One ``tf.TensorSpec`` per input of ``model`` (``input_structure``, flattened): its
    shape with a free batch dimension, its dtype, and its name made a valid signature key."""
    specs = []
    for index, tensor in enumerate(keras.tree.flatten(input_structure(model))):
        name = re.sub(r"[^A-Za-z0-9_]", "_", getattr(tensor, "name", "") or f"input_{index}")
        specs.append(tf.TensorSpec((None, *tensor.shape[1:]), tf.as_dtype(tensor.dtype), name))
    return specs


def random_batch(specs: list[tf.TensorSpec], size: int, seed: int) -> list[np.ndarray]:
    """A seeded batch of ``size`` examples for each spec: floats uniform in [0, 1), integers
    in [0, 10), booleans at random; free dimensions get ``FREE_DIMENSION``."""
    rng = np.random.default_rng(seed)
    batch = []
    for spec in specs:
        shape = (size, *(dim if dim is not None else FREE_DIMENSION for dim in spec.shape[1:]))
        dtype = spec.dtype.as_numpy_dtype
        if spec.dtype.is_floating:
            batch.append(rng.random(shape).astype(dtype))
        elif spec.dtype.is_bool:
            batch.append(rng.random(shape) < 0.5)
        elif spec.dtype == tf.string:
            batch.append(np.full(shape, "0", dtype=object))
        else:
            batch.append(rng.integers(0, 10, shape).astype(dtype))
    return batch


def export_model(config: ExportConfig, *, check_batch_size: int = 4, seed: int = 0) -> dict:
    """Export ``config.model`` to a SavedModel in ``config.output`` and check the reloaded
    ``serve`` endpoint.

    Args:
        config: the model file (its run's files beside it) and the SavedModel folder;
            TensorFlow Serving expects it as a numbered version folder, ``models/<name>/1``.
        check_batch_size: examples in the seeded random batch of the check.
        seed: seed of that batch.

    Returns:
        ``{"path", "inputs": [[name, dtype, shape], ...], "output": name, "outputs",
        "class_names" (classification), "max_abs_difference"}``; ``outputs`` is what the
        model itself outputs (``"logits"`` or ``"probabilities"``).

    Raises:
        errors.ArtifactError: the model or its run's files cannot be used, or the reloaded
            ``serve`` endpoint disagrees with the Keras model.
        errors.OutputError: the output folder cannot be written.
    """
    loaded = load_run(config.model)
    output = require_writable(config.output)
    model, kind, class_names = loaded.model, loaded.kind, loaded.class_names
    structure = input_structure(model)
    specs = input_specs(model)
    name = "probabilities" if class_names is not None else "outputs"

    def call(inputs):
        outputs = model(keras.tree.pack_sequence_as(structure, list(inputs)), training=False)
        if class_names is not None:
            return serving_probabilities(outputs, kind)
        return outputs

    def serve(*inputs):
        return {name: call(inputs)}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serve", fn=serve, input_signature=specs)
    archive.write_out(str(output), verbose=False)
    batch = random_batch(specs, check_batch_size, seed)
    expected = keras.tree.map_structure(np.asarray, call([tf.constant(x) for x in batch]))
    # Keep ``reloaded`` referenced while ``serve`` runs: its variables are freed with it.
    reloaded = tf.saved_model.load(str(output))
    served = keras.tree.map_structure(
        np.asarray, reloaded.serve(*[tf.constant(x) for x in batch])[name]
    )
    pairs = list(zip(keras.tree.flatten(served), keras.tree.flatten(expected), strict=True))
    difference = max(float(np.max(np.abs(a - b))) for a, b in pairs)
    if any(a.shape != b.shape or not np.allclose(a, b, atol=ATOL) for a, b in pairs):
        raise ArtifactError(
            f"the SavedModel in {output} disagrees with {config.model}: max |difference| "
            f"{difference:g} > {ATOL:g} on a random batch of {check_batch_size}."
        )
    del reloaded
    if class_names is not None:
        save_class_names(output, class_names)
    return {
        "path": str(output),
        "inputs": [[spec.name, spec.dtype.name, [None, *spec.shape[1:]]] for spec in specs],
        "output": name,
        "output_shapes": [[None, *np.shape(array)[1:]] for array in keras.tree.flatten(served)],
        "outputs": kind,
        **({"class_names": class_names} if class_names is not None else {}),
        "max_abs_difference": difference,
    }


def report(config: ExportConfig, result: dict) -> None:
    def shape(dims) -> str:
        return f"({', '.join('batch' if d is None else str(d) for d in dims)})"

    inputs = ", ".join(f"{name} {dtype} {shape(dims)}" for name, dtype, dims in result["inputs"])
    outputs = ", ".join(shape(dims) for dims in result["output_shapes"])
    kind = f"; the model outputs {result['outputs']}" if "class_names" in result else ""
    print(
        f"exported {config.model} -> {result['path']} (serve: {inputs} -> {result['output']} "
        f"{outputs}{kind}; reloaded and checked, max |difference| "
        f"{result['max_abs_difference']:.1g})"
    )


def main(argv: list[str] | None = None) -> int:
    return run(ExportConfig, export_model, report, argv, prog=f"python -m {__package__}.export")


if __name__ == "__main__":
    sys.exit(main())
