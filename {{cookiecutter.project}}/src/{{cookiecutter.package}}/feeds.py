"""What ``keras.Model.fit`` takes, in any of its forms: the one place that tells them apart.

``dataset.load_data`` returns its ``train`` and ``validation`` data in any form ``fit`` takes
as ``x`` (https://keras.io/api/models/model_training_apis/#fit-method):

- ``arrays``: an ``(inputs, targets)`` pair of NumPy arrays (or of dicts/lists of them);
- ``pydataset``: a ``keras.utils.PyDataset`` (alias ``keras.utils.Sequence``) of batches;
- ``tf.data``: a batched ``tf.data.Dataset`` of ``(inputs, targets)``.

The training engine, the smoke test, evaluate and export go through these functions, so
none of them knows which form, task or data a project has.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from .errors import DataError

__all__ = [
    "batches",
    "count_batches",
    "count_examples",
    "describe",
    "first_array",
    "first_batch",
    "form",
    "map_targets",
    "to_tf_data",
]


def form(data: Any) -> str:
    """``"arrays"``, ``"pydataset"`` or ``"tf.data"``.

    Raises:
        errors.DataError: ``data`` is none of them (the message names what was given).
    """
    if isinstance(data, keras.utils.PyDataset):
        return "pydataset"
    if isinstance(data, tf.data.Dataset):
        return "tf.data"
    if isinstance(data, tuple | list) and len(data) == 2:
        return "arrays"
    raise DataError(
        f"dataset.load_data returned a {type(data).__name__} as data; return what "
        "keras.Model.fit takes: a keras.utils.PyDataset, a batched tf.data.Dataset of "
        "(inputs, targets), or an (inputs, targets) pair of NumPy arrays"
    )


def first_array(structure: Any) -> np.ndarray:
    """The first array of a (possibly nested) batch, as a NumPy array."""
    return np.asarray(tf.nest.flatten(structure)[0])


def count_examples(data: Any) -> int | None:
    """Examples in ``data``: exact for arrays, and for a PyDataset or ``tf.data.Dataset``
    given a ``num_examples`` attribute by its maker; ``None`` when unknown without reading
    the data."""
    if data is None:
        return 0
    kind = form(data)
    if kind == "arrays":
        return len(first_array(data[1]))
    number = getattr(data, "num_examples", None)
    return int(number) if number is not None else None


def count_batches(data: Any, batch_size: int) -> int | None:
    """Batches in one epoch: ``len`` of a PyDataset, the cardinality of a ``tf.data``
    dataset (``None`` when infinite or unknown), ``ceil(examples / batch_size)`` of arrays."""
    if data is None:
        return 0
    kind = form(data)
    if kind == "arrays":
        return math.ceil(count_examples(data) / batch_size)
    if kind == "pydataset":
        return len(data)
    cardinality = int(data.cardinality())
    return cardinality if cardinality >= 0 else None


def batches(data: Any, batch_size: int) -> Iterator[tuple[Any, Any]]:
    """Every ``(inputs, targets)`` batch of one pass over ``data``, as NumPy values, in order.

    A PyDataset's ``on_epoch_end`` is not called: the pass leaves it as it was.
    """
    kind = form(data)
    if kind == "arrays":
        inputs, targets = data
        total = count_examples(data)
        for start in range(0, total, batch_size):
            part = slice(start, start + batch_size)
            yield (
                tf.nest.map_structure(lambda a, part=part: np.asarray(a)[part], inputs),
                tf.nest.map_structure(lambda a, part=part: np.asarray(a)[part], targets),
            )
    elif kind == "pydataset":
        for index in range(len(data)):
            batch = data[index]
            yield batch[0], batch[1]
    else:
        for batch in data.as_numpy_iterator():
            yield batch[0], batch[1]


def first_batch(data: Any, batch_size: int = 32) -> tuple[Any, Any]:
    """The first ``(inputs, targets)`` batch of ``data``, as NumPy values.

    Raises:
        errors.DataError: ``data`` holds no batch.
    """
    for batch in batches(data, batch_size):
        return batch
    raise DataError("dataset.load_data returned data with no batch in it")


def describe(inputs: Any, targets: Any) -> str:
    """``x float32 (4, 32, 32, 3) in [0.00, 1.00], y int32 (4,)``: a batch in one line."""

    def one(name: str, value: Any) -> str:
        parts = []
        for array in tf.nest.flatten(value):
            array = np.asarray(array)
            text = f"{array.dtype} {tuple(array.shape)}"
            if array.size and np.issubdtype(array.dtype, np.number):
                text += f" in [{float(array.min()):.2f}, {float(array.max()):.2f}]"
            parts.append(text)
        return f"{name} " + ", ".join(parts)

    return f"{one('x', inputs)}, {one('y', targets)}"


class MappedTargets(keras.utils.PyDataset):
    """A PyDataset whose batches are another's with ``encode`` applied to the targets.

    It keeps the other's ``workers``, ``use_multiprocessing`` and ``max_queue_size``, and
    passes ``on_epoch_begin``/``on_epoch_end`` on (its shuffling).
    """

    def __init__(self, inner: keras.utils.PyDataset, encode: Callable) -> None:
        super().__init__(
            workers=inner.workers,
            use_multiprocessing=inner.use_multiprocessing,
            max_queue_size=inner.max_queue_size,
        )
        self.inner = inner
        self.encode = encode
        self.num_examples = getattr(inner, "num_examples", None)

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int):
        batch = self.inner[index]
        return (batch[0], self.encode(batch[1]), *batch[2:])

    def on_epoch_begin(self) -> None:
        self.inner.on_epoch_begin()

    def on_epoch_end(self) -> None:
        self.inner.on_epoch_end()


def map_targets(data: Any, encode: Callable) -> Any:
    """``data`` with ``encode`` applied to its targets, in the same form.

    ``encode`` takes a batch of targets and is written with ``keras.ops``, so it runs on
    NumPy arrays (arrays, PyDataset batches; its result is turned back into a NumPy array)
    and inside a ``tf.data`` map alike.
    """
    if data is None:
        return None
    kind = form(data)
    if kind == "arrays":
        return data[0], np.asarray(encode(np.asarray(data[1])))
    if kind == "pydataset":
        return MappedTargets(data, lambda targets: np.asarray(encode(targets)))
    return data.map(lambda inputs, targets: (inputs, encode(targets)))


def to_tf_data(data: Any, batch_size: int, *, shuffle: bool = False, seed: int = 0):
    """``data`` as a batched ``tf.data.Dataset`` of ``(inputs, targets)``, for the strategies
    that need one (``MultiWorkerMirroredStrategy``'s ``experimental_distribute_dataset``).

    Arrays are sliced and batched (``shuffle``: reshuffled every epoch, seeded); a PyDataset
    becomes ``tf.data.Dataset.from_generator`` over its batches, with the signature of its
    first batch, and is reshuffled by its own ``on_epoch_end``; a ``tf.data`` dataset is
    returned as it is.
    """
    kind = form(data)
    if kind == "tf.data":
        return data
    if kind == "arrays":
        dataset = tf.data.Dataset.from_tensor_slices((data[0], data[1]))
        if shuffle:
            count = count_examples(data)
            dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        return dataset.batch(batch_size)
    x, y = data[0][:2]

    def spec(value):
        array = np.asarray(value)
        return tf.TensorSpec((None, *array.shape[1:]), tf.as_dtype(array.dtype))

    signature = (tf.nest.map_structure(spec, x), tf.nest.map_structure(spec, y))

    def generate():
        for index in range(len(data)):
            batch = data[index]
            yield batch[0], batch[1]
        data.on_epoch_end()

    return tf.data.Dataset.from_generator(generate, output_signature=signature)
