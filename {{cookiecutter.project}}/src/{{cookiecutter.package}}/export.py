"""Export a trained model for deployment, each file checked by its own runtime: ``make export``.

Usage::

    python -m {{ cookiecutter.package }}.export
        --model artifacts/model.keras --output-dir artifacts/export
        --format all --data-dir data/demo

``--format`` (``make export FORMAT=``): ``saved_model`` (default), ``onnx``, ``litert``,
``litert-int8``, ``openvino`` or ``all``. Into the output folder go the SavedModel itself
(``saved_model.pb``, ``variables/``; TensorFlow Serving ignores the other files),
``model.onnx``, ``model.tflite``, ``model_int8.tflite``, ``openvino/model.xml`` + ``.bin``,
``class_names.json`` (classification) and ``export.json`` (the figures of every format
exported there, merged with those already in it).

The SavedModel: a SavedModel with ``keras.export.ExportArchive``
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
with ``tf.saved_model.load`` (TensorFlow is its runtime) and ``serve`` must agree with the
Keras model on a seeded random batch of the input spec (``np.allclose``, ``atol=1e-5``).

The other formats come from Keras's own ``model.export(format=...)``
(https://keras.io/api/models/model_saving_apis/export/) of the same function: the model's
inputs in, ``probabilities`` out for a classifier (a logits model gets its softmax inside),
the model's outputs otherwise. ONNX goes through tf2onnx; LiteRT through
``tf.lite.TFLiteConverter`` with TFLite builtin ops only (Keras would add TensorFlow "select"
ops, which the LiteRT runtime cannot run); ``litert-int8`` is post-training quantisation
(https://ai.google.dev/edge/litert/models/post_training_quantization): int8 weights and
activations, float32 input and output, ranges calibrated on ``--calibration-examples``
representative examples (128 by default: the guide asks for "a few hundred"; the ranges
settle well before and each example costs a forward pass); the model's Keras preprocessing
layers (``Normalization``, ``Rescaling``) stay float32, so that features of different
scales keep their resolution (``litert_int8``). OpenVINO through
``openvino.convert_model``.

Every file is then loaded by its own runtime (ONNX Runtime, LiteRT, OpenVINO) in a
subprocess that imports neither TensorFlow nor Keras (``runtimes``), run on
``--check-examples`` examples, and compared with the Keras model on them: examples of
``--data-dir`` read by your ``dataset.load_data`` with the run's data options (the
calibration examples first, the check examples after them when there are enough; without
``--data-dir``, the folder the run trained on, from its ``config.yaml``, when it exists), or
seeded random inputs of the input spec when there is no data folder. Float formats must agree within
``--max-difference`` (max |difference|, default 1e-4); an int8 classifier must pick the same
top-1 class on ``--min-agreement`` of them (default 0.97); with labelled data, the accuracy
(classification) or mean absolute error (other tasks) of both is recorded too. Loosen a
threshold with its flag. A missing model, a converter that cannot convert an op (the
``error:`` line names the op, its layer and the format), an export that misses its threshold
or a runtime check that fails exits with status 2 and one ``error:`` line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from . import dataset as user_dataset
from . import feeds
from .artifacts import Run, load_run, recorded_config, require_writable, save_class_names
from .cli import run
from .config import ExportConfig
from .errors import ArtifactError, DataError
from .training import targets

__all__ = ["ExportConfig", "export_model", "main"]

EXPORT_FILE = "export.json"
# Each format's file or folder in the export folder.
FILES = {
    "saved_model": ".",
    "onnx": "model.onnx",
    "litert": "model.tflite",
    "litert-int8": "model_int8.tflite",
    "openvino": "openvino/model.xml",
}

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


def export_saved_model(loaded: Run, output: Path, *, check_batch_size: int = 4, seed: int = 0):
    """Write the SavedModel (``serve`` endpoint) into ``output`` and check the reloaded one.

    Returns:
        ``{"max_abs_difference", "output_shapes"}``.

    Raises:
        errors.ArtifactError: the reloaded ``serve`` endpoint disagrees with the Keras model.
    """
    model, kind, class_names = loaded.model, loaded.kind, loaded.class_names
    structure = input_structure(model)
    specs = input_specs(model)
    name = output_name(loaded)

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
            f"the SavedModel in {output} disagrees with the model: max |difference| "
            f"{difference:g} > {ATOL:g} on a random batch of {check_batch_size}."
        )
    del reloaded
    shapes = [[None, *np.shape(array)[1:]] for array in keras.tree.flatten(served)]
    return {"max_abs_difference": difference, "output_shapes": shapes}


def output_name(loaded: Run) -> str:
    return "probabilities" if loaded.class_names is not None else "outputs"


def deployable(loaded: Run) -> keras.Model:
    """The function every file format holds: a functional model over ``loaded.model`` with
    one ``keras.Input`` per input spec (same names, dtypes, free batch), returning float32
    ``(batch, classes)`` probabilities for a classifier (softmax of logits; one unit ``p``
    becomes ``1 - p, p``, as ``serving_probabilities``) and the model's outputs otherwise."""
    model = loaded.model
    specs = input_specs(model)
    inputs = [keras.Input(spec.shape[1:], dtype=spec.dtype.name, name=spec.name) for spec in specs]
    outputs = model(keras.tree.pack_sequence_as(input_structure(model), inputs), training=False)
    if loaded.class_names is not None:
        if loaded.kind == "logits":
            single = outputs.shape[-1] == 1
            outputs = keras.ops.sigmoid(outputs) if single else keras.ops.softmax(outputs)
        if outputs.shape[-1] == 1:
            outputs = keras.ops.concatenate([1.0 - outputs, outputs], axis=-1)
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs, name="deployed")


def examples(config: ExportConfig, loaded: Run, specs: list[tf.TensorSpec]):
    """``(calibration inputs, check inputs, check labels or None, source)``: lists of arrays
    in input order, from ``config.data_dir`` (else the run's own, ``run_data_dir``) through
    ``dataset.load_data`` (the run's data options, no validation split, seed 0), or seeded
    random inputs of ``specs`` when there is no data folder.

    Raises:
        errors.DataError: ``load_data`` refuses the folder or returns no example.
    """
    wanted = config.calibration_examples + config.check_examples
    data_dir = config.data_dir or run_data_dir(config.model)
    if data_dir is None:
        calibration = random_batch(specs, config.calibration_examples, seed=1)
        return calibration, random_batch(specs, config.check_examples, seed=2), None, "random"
    data, _, facts = user_dataset.load_data(
        data_dir,
        validation_split=0.0,
        seed=0,
        batch_size=config.batch_size,
        **targets.accepted(user_dataset.load_data, loaded.options),
    )
    inputs, labels, count = [], [], 0
    for x, y in feeds.batches(data, config.batch_size):
        inputs.append([np.asarray(a) for a in keras.tree.flatten(x)])
        labels.append(np.asarray(keras.tree.flatten(y)[0]))
        count += len(labels[-1])
        if count >= wanted:
            break
    if not count:
        raise DataError(f"dataset.load_data returned no example from {data_dir}")
    columns = [np.concatenate(parts)[:wanted] for parts in zip(*inputs, strict=True)]
    all_labels = np.concatenate(labels)[:wanted]
    if loaded.class_names is not None:  # the data's class indices -> the model's
        names = facts.get("class_names") or loaded.class_names
        known = {name: index for index, name in enumerate(loaded.class_names)}
        to_model = np.array([known.get(name, -1) for name in names])
        rows = all_labels.reshape(len(all_labels), -1)  # one-hot rows (categorical) or indices
        indices = rows.argmax(axis=-1) if rows.shape[1] > 1 else rows[:, 0]
        all_labels = to_model[indices.astype(np.int64)]
    split = config.calibration_examples if count > config.calibration_examples else 0
    checked = slice(split, split + config.check_examples)
    calibration = [column[: config.calibration_examples] for column in columns]
    return calibration, [c[checked] for c in columns], all_labels[checked], str(data_dir)


def run_data_dir(model_path: Path) -> Path | None:
    """The ``data_dir`` of the run's ``config.yaml`` beside ``model_path``, when that folder
    exists here (a path relative to the folder training ran in, as it was given); else
    ``None``."""
    recorded = recorded_config(Path(model_path).parent).get("data_dir")
    return Path(recorded) if recorded and Path(recorded).is_dir() else None


def convert(fmt: str, model: keras.Model, path: Path, calibration: list[np.ndarray]) -> None:
    """Write ``model`` as ``fmt`` to ``path``: ``keras.Model.export``, except LiteRT on Keras
    < 3.13 and ``litert-int8`` (``litert_converter``, ``litert_int8``).

    Raises:
        errors.ArtifactError: the converter fails; the message names the op and the layer
            when the converter's message does, and the format.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("tf2onnx").setLevel(logging.CRITICAL)
    try:
        if fmt == "litert-int8":
            path.write_bytes(litert_int8(model, calibration))
        elif fmt == "litert" and not keras_exports_litert():
            with litert_converter(model) as converter:
                path.write_bytes(converter.convert())
        elif fmt == "litert":
            model.export(str(path), format=fmt, verbose=False, target_spec=BUILTIN_OPS)
        else:
            with warnings.catch_warnings():  # tf2onnx's probe of np.object, not ours to fix
                warnings.filterwarnings("ignore", "In the future `np.object`", FutureWarning)
                model.export(str(path), format=fmt, verbose=False)
    except ImportError as error:
        if fmt == "openvino":
            raise ArtifactError(
                f"the openvino export needs the openvino package ({error}), which the locks "
                "leave out (its Linux aarch64 wheels need glibc 2.35): .venv/bin/python -m pip "
                "install openvino, then make export FORMAT=openvino"
            ) from None
        raise ArtifactError(
            f"{fmt} export needs a package that is not installed ({error}); make install "
            "installs the locked converters and runtimes."
        ) from None
    except Exception as error:  # noqa: BLE001 - any converter failure becomes one error line
        raise ArtifactError(conversion_failure(fmt, error, model)) from None
    if fmt == "onnx":
        tidy_onnx(path, model)


# LiteRT files hold TFLite builtin ops only: the TensorFlow "select" ops Keras would allow
# need the Flex delegate, which the LiteRT runtime lacks.
BUILTIN_OPS = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}


def keras_exports_litert() -> bool:
    """Whether the installed Keras's ``model.export`` writes LiteRT: Keras 3.13 and later
    (Keras 3.12, the one Python 3.10 gets, offers ``tf_saved_model``, ``onnx``, ``openvino``)."""
    major, minor = (int(part) for part in keras.__version__.split(".")[:2])
    return (major, minor) >= (3, 13)


@contextlib.contextmanager
def litert_converter(model: keras.Model) -> Iterator[tf.lite.TFLiteConverter]:
    """A ``tf.lite.TFLiteConverter`` of ``model`` made the way Keras's own LiteRT export makes
    it (keras ``src/export/litert.py``, 3.15): an ``ExportArchive`` SavedModel with a ``serve``
    endpoint, read by ``TFLiteConverter.from_saved_model``, resource variables on, builtin
    ops only. The SavedModel's temporary folder lives as long as the ``with`` block."""
    structure = input_structure(model)

    def serve(*inputs):
        return model(keras.tree.pack_sequence_as(structure, list(inputs)), training=False)

    with tempfile.TemporaryDirectory() as folder:
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", serve, input_signature=input_specs(model))
        archive.write_out(folder, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(folder)
        converter.experimental_enable_resource_variables = True
        converter.target_spec.supported_ops = BUILTIN_OPS["supported_ops"]
        yield converter


def litert_int8(model: keras.Model, calibration: list[np.ndarray]) -> bytes:
    """``model`` as an int8 LiteRT flatbuffer: post-training quantisation with
    ``calibration`` (one array per input, examples first) as the representative dataset;
    float32 input and output.

    Keras preprocessing layers (``Normalization``, ``Rescaling``, ...; ``preprocessing_scopes``)
    stay float32 and int8 starts after them, through LiteRT's selective quantisation
    (``tf.lite.experimental.QuantizationDebugger`` with ``denylisted_nodes``,
    https://ai.google.dev/edge/litert/models/quantization_debugger). Quantising the raw input
    gives it one scale for all its features: on the demo table (systolic blood pressure near
    130, cholesterol near 5) a step of 0.66 erased most of cholesterol's spread, and the
    classifier agreed with Keras on 92.4% of rows; float preprocessing, then int8: 100%.
    """
    count = len(calibration[0])

    def representative():
        for index in range(count):
            yield [x[index : index + 1].astype(np.float32) for x in calibration]

    scopes = preprocessing_scopes(model)
    with litert_converter(model) as converter:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        if not scopes:
            return converter.convert()
        with warnings.catch_warnings():  # the debugger's own tf.lite.Interpreter is deprecated
            warnings.simplefilter("ignore")
            debugger = tf.lite.experimental.QuantizationDebugger(
                converter=converter, debug_dataset=representative
            )
            calibrated = tf.lite.Interpreter(model_content=debugger.calibrated_model)
            names = [tensor["name"] for tensor in calibrated.get_tensor_details()]
            debugger.options = tf.lite.experimental.QuantizationDebugOptions(
                denylisted_nodes=[name for name in names if in_scopes(name, scopes)]
            )
            return debugger.get_nondebug_quantized_model()


def preprocessing_scopes(model: keras.Model) -> set[str]:
    """The names of ``model``'s Keras preprocessing layers (classes of
    ``keras.layers`` preprocessing: ``Normalization``, ``Rescaling``, ``Random*``, ...), nested
    models searched too."""
    names, layers = set(), list(model.layers)
    while layers:
        layer = layers.pop()
        layers.extend(getattr(layer, "layers", []))
        if type(layer).__module__.startswith("keras.src.layers.preprocessing"):
            names.add(layer.name)
    return names


def in_scopes(tensor_name: str, scopes: set[str]) -> bool:
    """Whether a converted graph's tensor (``outer_1/normalization_1/Sub``, fused ops joined
    by ``;``) comes from one of the layers named ``scopes``: a name scope is the layer's name,
    with the ``_<n>`` suffix TensorFlow adds when it traces it."""
    segments = (segment for part in tensor_name.split(";") for segment in part.split("/"))
    return any(re.sub(r"_\d+$", "", segment) in scopes or segment in scopes for segment in segments)


def tidy_onnx(path: Path, model: keras.Model) -> None:
    """Make tf2onnx's file loadable and fed by the model's inputs alone.

    tf2onnx 1.17 writes an op it cannot convert as a node of the same name (``Svd``), which
    no ONNX runtime loads: refused here (checked with ``onnx.defs``,
    https://onnx.ai/onnx/api/defs.html). It also turns constants the model captured (a
    ``Normalization`` layer's mean and variance) into graph inputs, which a client would
    have to feed: those read by a node become initializers holding their values, taken
    from the frozen TensorFlow graph of the same function; unread ones are dropped.

    Raises:
        errors.ArtifactError: a node's op is not in the ONNX operator sets, or a graph input
            is neither the model's nor a constant of its graph.
    """
    import onnx
    from onnx import numpy_helper

    graph_file = onnx.load(str(path))
    graph = graph_file.graph
    for node in graph.node:
        if not onnx.defs.has(node.op_type, node.domain):
            raise ArtifactError(failure_line("onnx", node.op_type, layer_of(node.name, model)))
    own = {spec.name for spec in input_specs(model)}
    extra = [node for node in graph.input if node.name not in own]
    if not extra:
        return
    read = {name for node in graph.node for name in node.input}
    read |= {output.name for output in graph.output}
    constants = frozen_constants(model) if any(node.name in read for node in extra) else {}
    for node in extra:
        graph.input.remove(node)
        if node.name not in read:
            continue
        value = constants.get(node.name.split(":")[0])
        if value is None:
            raise ArtifactError(
                f"the onnx export asks for an input {node.name} that the model does not have"
            )
        graph.initializer.append(numpy_helper.from_array(value, node.name))
    onnx.save(graph_file, str(path))


def frozen_constants(model: keras.Model) -> dict[str, np.ndarray]:
    """The constants of the model's frozen inference graph, by op name, as tf2onnx sees them
    (``convert_variables_to_constants_v2``, which tf2onnx runs first)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    specs = input_specs(model)
    structure = input_structure(model)

    def call(*inputs):
        return model(keras.tree.pack_sequence_as(structure, list(inputs)), training=False)

    function = tf.function(call, input_signature=specs).get_concrete_function()
    graph_def = convert_variables_to_constants_v2(function).graph.as_graph_def()
    return {
        node.name: tf.make_ndarray(node.attr["value"].tensor)
        for node in graph_def.node
        if node.op == "Const"
    }


def layer_of(scope: str, model: keras.Model) -> str | None:
    """The name of the model's layer in a TensorFlow op's scope (``functional_1/odd_1/Svd``:
    ``odd``; tracing may append ``_1`` to a layer's scope), or ``None``."""
    names = {layer.name for layer in model._flatten_layers(include_self=False)}
    for part in reversed(scope.split("/")[:-1]):
        for name in (part, re.sub(r"_\d+$", "", part)):
            if name in names:
                return name
    return None


def failure_line(fmt: str, op: str, layer: str | None) -> str:
    where = f" in layer {layer}" if layer else ""
    return (
        f"the {fmt} converter cannot convert the TensorFlow op {op}{where}: it has no {fmt} "
        "equivalent. Replace that layer or op, or export another format."
    )


def conversion_failure(fmt: str, error: Exception, model: keras.Model) -> str:
    """One line naming the op (and its layer) that ``fmt``'s converter could not convert."""
    text = str(error)
    op = re.search(
        r"'tf\.(\w+)' op is neither|Unsupported ops: Counter\(\{'(\w+)'|"
        r"conversion rule (?:found )?for:? (\w+)",
        text,
    )
    name = next((group for group in op.groups() if group), None) if op else None
    if name is None:
        last = [line.strip() for line in text.splitlines() if line.strip()]
        detail = last[-1][:300] if last else type(error).__name__
        return f"the {fmt} converter failed: {detail}"
    place = re.search(rf"((?:[\w.-]+/)+{name})[\w:]*@", text)
    return failure_line(fmt, name, layer_of(place.group(1), model) if place else None)


def run_in_runtime(fmt: str, path: Path, inputs: list[np.ndarray], repeats: int = 0):
    """Run ``path`` in ``fmt``'s runtime in a subprocess (``runtimes``; no TensorFlow, no
    Keras) on ``inputs``; return ``(outputs, report)`` (``report``: load_seconds, latency).

    Raises:
        errors.ArtifactError: the runtime fails, or the subprocess imported TensorFlow/Keras.
    """
    with tempfile.TemporaryDirectory() as folder:
        given, got = Path(folder) / "inputs.npz", Path(folder) / "outputs.npz"
        np.savez(given, **{f"input_{i}": array for i, array in enumerate(inputs)})
        command = [sys.executable, "-m", f"{__package__}.runtimes", fmt, str(path), str(given)]
        command += [str(got), "--repeats", str(repeats)]
        environment = {**os.environ, "PYTHONWARNINGS": "ignore::FutureWarning"}
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            detail = lines[-1] if lines else f"exit status {done.returncode}"
            raise ArtifactError(f"the {fmt} runtime cannot run {path}: {detail}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        with np.load(got) as stored:
            outputs = [stored[f"output_{i}"] for i in range(len(stored.files))]
    if report["modules"]:
        raise ArtifactError(f"the {fmt} check imported {', '.join(report['modules'])}")
    return outputs, report


def compare(fmt: str, expected: list[np.ndarray], got: list[np.ndarray], labels, loaded: Run):
    """The figures of one export against the Keras model on the same inputs."""
    pairs = list(zip(got, expected, strict=True))
    if any(a.shape != b.shape for a, b in pairs):
        shapes = ", ".join(f"{a.shape} vs {b.shape}" for a, b in pairs)
        raise ArtifactError(
            f"the {fmt} export's outputs have other shapes than the model's: {shapes}"
        )
    figures: dict = {
        "max_abs_difference": max(float(np.max(np.abs(a - b))) for a, b in pairs),
    }
    classifier = loaded.class_names is not None
    if classifier:
        top = [np.argmax(array, axis=-1) for array in (got[0], expected[0])]
        figures["top1_agreement"] = float(np.mean(top[0] == top[1]))
    if labels is not None and fmt == "litert-int8":
        if classifier:
            metric = {name: float(np.mean(np.argmax(a[0], -1) == labels)) for name, a in
                      (("keras", expected), (fmt, got))}  # fmt: skip
            figures["accuracy"] = metric
        elif labels.size == expected[0].size:  # one output: its targets, in any shape
            target = labels.reshape(expected[0].shape).astype(np.float64)
            figures["mae"] = {
                name: float(np.mean(np.abs(a[0] - target)))
                for name, a in (("keras", expected), (fmt, got))
            }
    return figures


def check_threshold(fmt: str, figures: dict, config: ExportConfig) -> str | None:
    """The failed threshold of one export, in words, or ``None``."""
    if fmt == "litert-int8":
        agreement = figures.get("top1_agreement")
        if agreement is not None and agreement < config.min_agreement:
            return (
                f"litert-int8 agrees with the model on {agreement:.1%} of top-1 classes < "
                f"{config.min_agreement:.0%} (loosen with --min-agreement)"
            )
        return None
    if figures["max_abs_difference"] > config.max_difference:
        return (
            f"{fmt} max |difference| {figures['max_abs_difference']:.2g} > "
            f"{config.max_difference:g} (loosen with --max-difference)"
        )
    return None


def size_of(path: Path) -> int:
    """Bytes of an exported file: the SavedModel's files, an OpenVINO ``.xml`` with its ``.bin``."""
    if path.is_dir():
        parts = [
            path / "saved_model.pb",
            *(path / "variables").rglob("*"),
            *(path / "assets").rglob("*"),
        ]
        return sum(part.stat().st_size for part in parts if part.is_file())
    total = path.stat().st_size
    return total + (path.with_suffix(".bin").stat().st_size if path.suffix == ".xml" else 0)


def export_model(config: ExportConfig, *, repeats: int = 0) -> dict:
    """Export ``config.model`` in ``config.formats`` into ``config.output``, check each file
    in its runtime, and write ``export.json`` there.

    Args:
        config: the model file (its run's files beside it), the output folder, the formats,
            the data and the thresholds (``ExportConfig``).
        repeats: with > 0, each runtime also times that many calls at batch 1 and 32
            (``bench_export``).

    Returns:
        The contents of ``export.json``: ``{"model", "inputs": [[name, dtype, shape], ...],
        "output", "outputs" ("logits" or "probabilities": what the model itself outputs),
        "class_names" (classification), "formats": {format: {"file", "bytes",
        "max_abs_difference", "top1_agreement" (classification), "accuracy"/"mae" (int8 on
        labelled data: Keras's and the export's), "checked_on", "examples", "passed"}}}``.

    Raises:
        errors.ArtifactError: the model or its run's files cannot be used, a converter
            cannot convert the model, a runtime fails, or an export misses its threshold
            (``export.json`` is written first).
        errors.DataError: ``config.data_dir`` cannot be read by ``dataset.load_data``.
        errors.OutputError: the output folder cannot be written.
    """
    loaded = load_run(config.model)
    output = require_writable(config.output)
    specs = input_specs(loaded.model)
    file = output / EXPORT_FILE
    previous = json.loads(file.read_text()) if file.is_file() else {}
    result = {
        "model": str(config.model),
        "inputs": [[spec.name, spec.dtype.name, [None, *spec.shape[1:]]] for spec in specs],
        "output": output_name(loaded),
        "outputs": loaded.kind,
        **({"class_names": loaded.class_names} if loaded.class_names is not None else {}),
        "formats": previous.get("formats", {})
        if previous.get("model") == str(config.model)
        else {},
    }
    failures = []
    if "saved_model" in config.formats:
        figures = export_saved_model(loaded, output)
        result["output_shapes"] = figures.pop("output_shapes")
        result["formats"]["saved_model"] = {
            "file": ".", "bytes": size_of(output), **figures, "checked_on": "random",
            "examples": 4, "passed": True,
        }  # fmt: skip
    others = [fmt for fmt in config.formats if fmt != "saved_model"]
    if others:
        model = deployable(loaded)
        calibration, checks, labels, source = examples(config, loaded, specs)
        expected = [
            np.asarray(a)
            for a in keras.tree.flatten(
                model.predict_on_batch(checks[0] if len(checks) == 1 else checks)
            )
        ]
        result["output_shapes"] = [[None, *a.shape[1:]] for a in expected]
        for fmt in others:
            path = output / FILES[fmt]
            convert(fmt, model, path, calibration)
            got, report = run_in_runtime(fmt, path, checks, repeats)
            figures = compare(fmt, expected, got, labels, loaded)
            failure = check_threshold(fmt, figures, config)
            failures += [failure] if failure else []
            result["formats"][fmt] = {
                "file": FILES[fmt], "bytes": size_of(path), **figures, "checked_on": source,
                "examples": len(checks[0]), "passed": failure is None,
                **({"calibration_examples": len(calibration[0])} if fmt == "litert-int8" else {}),
                **({"runtime": report} if repeats else {}),
            }  # fmt: skip
    if loaded.class_names is not None:
        save_class_names(output, loaded.class_names)
    file.write_text(json.dumps(result, indent=2) + "\n")
    if failures:
        raise ArtifactError(f"{'; '.join(failures)}; figures in {file}")
    result["path"] = str(output)
    return result


def describe_format(fmt: str, figures: dict) -> str:
    parts = [f"max |difference| {figures['max_abs_difference']:.1g}"]
    if "top1_agreement" in figures:
        parts.append(f"top-1 agreement {figures['top1_agreement']:.1%}")
    for metric in ("accuracy", "mae"):
        if metric in figures:
            values = figures[metric]
            parts.append(f"{metric} {values['keras']:.3g} -> {values[fmt]:.3g}")
    where = "random inputs" if figures["checked_on"] == "random" else figures["checked_on"]
    return f"{', '.join(parts)} on {figures['examples']} examples of {where}"


def report(config: ExportConfig, result: dict) -> None:
    def shape(dims) -> str:
        return f"({', '.join('batch' if d is None else str(d) for d in dims)})"

    inputs = ", ".join(f"{name} {dtype} {shape(dims)}" for name, dtype, dims in result["inputs"])
    outputs = ", ".join(shape(dims) for dims in result["output_shapes"])
    kind = f"; the model outputs {result['outputs']}" if "class_names" in result else ""
    print(f"exported {config.model} ({inputs} -> {result['output']} {outputs}{kind})")
    folder = Path(result["path"])
    for fmt in config.formats:
        figures = result["formats"][fmt]
        check = "reloaded and checked" if fmt == "saved_model" else "checked in its runtime"
        print(
            f"  {fmt}: {folder / figures['file']} ({figures['bytes'] / 1e6:.2f} MB), {check}, "
            f"{describe_format(fmt, figures)}"
        )


def main(argv: list[str] | None = None) -> int:
    return run(ExportConfig, export_model, report, argv, prog=f"python -m {__package__}.export")


if __name__ == "__main__":
    sys.exit(main())
