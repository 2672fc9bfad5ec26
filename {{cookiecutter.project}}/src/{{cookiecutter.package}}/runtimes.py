"""Run an exported model in its own runtime, importing only numpy and that runtime.

``export`` and ``bench_export`` start this module in a subprocess (``python -m
<package>.runtimes``), so the check never touches TensorFlow or Keras: what runs here is
what a server or a phone runs. The package's ``__init__`` imports nothing, and the process
reports the modules it ended up with; the caller refuses a check that imported TensorFlow
or Keras.

Usage::

    python -m <package>.runtimes FORMAT FILE INPUTS.npz OUTPUTS.npz [--repeats N]

``INPUTS.npz`` holds ``input_0``, ``input_1``, ... in the model's input order (float32,
int or bool arrays, batch first). The outputs are written to ``OUTPUTS.npz`` as
``output_0``, ... (float32). One JSON line goes to stdout: ``{"load_seconds",
"latency_ms": {"1": [median, p95], "32": [median, p95]} (with --repeats), "modules"}``.

Runtimes (their own docs):

- ``onnx``: ONNX Runtime ``InferenceSession`` on ``CPUExecutionProvider``
  (https://onnxruntime.ai/docs/api/python/api_summary.html);
- ``litert``, ``litert-int8``: ``ai_edge_litert.interpreter.Interpreter``
  (https://ai.google.dev/edge/litert/inference); the file's input shape is ``[1, ...]``, so
  every batch size gets ``resize_tensor_input`` then ``allocate_tensors``;
- ``openvino``: ``openvino.Core().compile_model(FILE, "CPU")`` with inference precision f32
  (https://docs.openvino.ai/2025/openvino-workflow/running-inference.html).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

import numpy as np

RUNTIME_FORMATS = ("onnx", "litert", "litert-int8", "openvino")
# A runtime's predictor: a list of input arrays (batch first) -> a list of output arrays.
Predictor = Callable[[list[np.ndarray]], list[np.ndarray]]


def load_onnx(path: str) -> Predictor:
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    # tf2onnx may also list constants (a Normalization layer's mean and variance) as graph
    # inputs with a default value: "overridable initializers", not the model's inputs.
    constants = {node.name for node in session.get_overridable_initializers()}
    names = [node.name for node in session.get_inputs() if node.name not in constants]

    def predict(inputs: list[np.ndarray]) -> list[np.ndarray]:
        return session.run(None, dict(zip(names, inputs, strict=True)))

    return predict


def load_litert(path: str) -> Predictor:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    details = sorted(interpreter.get_input_details(), key=lambda detail: detail["index"])
    outputs = sorted(interpreter.get_output_details(), key=lambda detail: detail["index"])
    shapes: list[tuple[int, ...]] = []

    def predict(inputs: list[np.ndarray]) -> list[np.ndarray]:
        wanted = [tuple(array.shape) for array in inputs]
        if wanted != shapes:
            for detail, shape in zip(details, wanted, strict=True):
                interpreter.resize_tensor_input(detail["index"], list(shape))
            interpreter.allocate_tensors()
            shapes[:] = wanted
        for detail, array in zip(details, inputs, strict=True):
            interpreter.set_tensor(detail["index"], array.astype(detail["dtype"], copy=False))
        interpreter.invoke()
        return [interpreter.get_tensor(detail["index"]) for detail in outputs]

    return predict


def load_openvino(path: str) -> Predictor:
    # Not in the locks (requirements/cpu.in says why): installed by hand for FORMAT=openvino.
    try:
        import openvino
    except ImportError:
        raise RuntimeError("the openvino runtime is not installed: pip install openvino") from None

    # f32: on CPUs with bf16 units (AVX512_BF16, AMX) the CPU plugin otherwise runs in bf16.
    compiled = openvino.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})

    def predict(inputs: list[np.ndarray]) -> list[np.ndarray]:
        result = compiled(inputs)
        return [np.asarray(result[output]) for output in compiled.outputs]

    return predict


LOADERS = {
    "onnx": load_onnx,
    "litert": load_litert,
    "litert-int8": load_litert,
    "openvino": load_openvino,
}


def latency(predict: Predictor, inputs: list[np.ndarray], repeats: int) -> list[float]:
    """Median and 95th percentile of ``repeats`` timed calls (after one warm-up), in ms."""
    predict(inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(inputs)
        times.append((time.perf_counter() - start) * 1000)
    return [float(np.median(times)), float(np.percentile(times, 95))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="runtimes", description=__doc__.split("\n")[0])
    parser.add_argument("format", choices=RUNTIME_FORMATS)
    parser.add_argument("file")
    parser.add_argument("inputs")
    parser.add_argument("outputs")
    parser.add_argument("--repeats", type=int, default=0, help="time batches 1 and 32")
    args = parser.parse_args(argv)
    with np.load(args.inputs) as stored:
        inputs = [stored[f"input_{i}"] for i in range(len(stored.files))]
    start = time.perf_counter()
    predict = LOADERS[args.format](args.file)
    loaded = time.perf_counter() - start
    outputs = predict(inputs)
    np.savez(args.outputs, **{f"output_{i}": np.asarray(o) for i, o in enumerate(outputs)})
    report: dict = {"load_seconds": loaded}
    if args.repeats:
        report["latency_ms"] = {
            str(size): latency(
                predict, [np.resize(x, (size, *x.shape[1:])) for x in inputs], args.repeats
            )  # fmt: skip
            for size in (1, 32)
        }
    report["modules"] = sorted(
        name for name in ("tensorflow", "keras", "tf_keras") if name in sys.modules
    )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
