"""The data: yours to replace. The example reads a table: CSV rows of measurements and a
target column to predict.

The contract every command relies on (nothing else needs editing when you replace it, and
``model.py`` beside it is the same kind of contract):

``load_data(data_dir, *, validation_split, seed, batch_size, **options)``
    returns ``(train, validation, facts)``. ``train`` and ``validation`` are anything
    ``keras.Model.fit`` takes as ``x``: a ``keras.utils.PyDataset`` (alias
    ``keras.utils.Sequence``), a batched ``tf.data.Dataset`` of ``(inputs, targets)``, or an
    ``(inputs, targets)`` pair of NumPy arrays (here). ``validation`` is ``None`` when
    ``validation_split`` is 0. ``facts`` is a dict of keywords for ``model.build_model``,
    recorded in the run's ``facts.json`` (JSON values; NumPy arrays are converted). A
    ``class_names`` fact marks a classification task: the targets are then int class
    indices, and evaluate and predict add a per-class table and class names.
``load_inputs(path, *, batch_size, **options) -> (ids, inputs)``
    What ``make predict INPUT=`` reads: one name per example (here the ``id`` column, or the
    row number) and the inputs in the same order.

Optional hooks, each with its default when absent:

``smoke_data(folder) -> data_dir``
    A tiny data set written into ``folder`` for ``make smoke`` (default: the configured
    ``data_dir``, trained with at most two steps per epoch).
``fingerprint(data_dir) -> str``
    What identifies the data in ``run.json`` (default: ``fingerprint.folder_fingerprint``,
    a sha256 over the relative paths, sizes and contents of the files under ``data_dir``).

``**options`` are the fields of ``options.DataOptions`` that the function takes.

This example: ``data_dir`` is a CSV file, or a folder of CSV files with the same header
(read in sorted order), with a header row. The ``target`` column is what the model
predicts, chosen by its type: numbers make a regression (float32 targets), anything else a
classification (the sorted distinct values are the classes, int32 class indices). The
``id_column`` (if present) names each row; every other column is a numeric feature, in
sorted column order, as float32 ``(batch, features)``. The per-feature mean and variance of
the training rows go into the facts, so the model's ``Normalization`` layer takes raw rows,
and so does its exported ``serve`` endpoint (https://keras.io/api/layers/preprocessing_layers/numerical/normalization/).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from .data.demo import write_demo_table
from .data.split import split_indices
from .errors import DataError

__all__ = ["load_data", "load_inputs", "smoke_data"]


def csv_files(path: str | Path) -> list[Path]:
    """``path`` itself, or the ``.csv`` files of a folder (sorted).

    Raises:
        errors.DataError: ``path`` does not exist, or is a folder without a CSV file.
    """
    root = Path(path)
    if root.is_file():
        return [root]
    if root.is_dir():
        files = sorted(p for p in root.iterdir() if p.suffix.lower() == ".csv")
        if files:
            return files
        raise DataError(f"folder {root} holds no .csv file: make data writes a demo table")
    raise DataError(f"{root} does not exist: pass a CSV file or a folder of them (make data)")


def read_table(path: str | Path) -> dict[str, list[str]]:
    """The columns of the CSV file(s) at ``path``: ``{header name: [cell, ...]}``.

    Raises:
        errors.DataError: no file, an empty file, files with different headers, or a row
            with another number of cells than the header (the message names file and row).
    """
    columns: dict[str, list[str]] | None = None
    for file in csv_files(path):
        with file.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        if not rows:
            raise DataError(f"{file} is empty: it needs a header row and data rows")
        header, body = [name.strip() for name in rows[0]], rows[1:]
        if columns is None:
            columns = {name: [] for name in header}
        elif list(columns) != header:
            raise DataError(f"{file} has the header {header}, not {list(columns)}")
        for number, row in enumerate(body, start=2):
            if len(row) != len(header):
                raise DataError(
                    f"{file} row {number} has {len(row)} cells, the header {len(header)}"
                )
            for name, cell in zip(header, row, strict=True):
                columns[name].append(cell.strip())
    return columns or {}


def numeric(name: str, cells: list[str]) -> np.ndarray:
    """float32 values of a column.

    Raises:
        errors.DataError: a cell is empty or not a number (the message names the column).
    """
    try:
        return np.asarray([float(cell) for cell in cells], np.float32)
    except ValueError:
        bad = next(cell for cell in cells if not is_number(cell))
        raise DataError(
            f"column {name!r} holds {bad!r}, not a number: features must be numeric "
            "(encode it, or drop the column)"
        ) from None


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def features(columns: dict[str, list[str]], target: str, id_column: str) -> tuple[list, np.ndarray]:
    """``(feature names, float32 (rows, features))``: every column but ``target`` and
    ``id_column``, in sorted name order.

    Raises:
        errors.DataError: no feature column, or a non-numeric one.
    """
    names = sorted(name for name in columns if name not in (target, id_column))
    if not names:
        raise DataError(f"the table has no feature column besides {target!r} and {id_column!r}")
    return names, np.stack([numeric(name, columns[name]) for name in names], axis=1)


def load_data(
    data_dir: str | Path,
    *,
    validation_split: float,
    seed: int,
    batch_size: int,
    target: str = "target",
    id_column: str = "id",
):
    """The table at ``data_dir``, split with ``seed`` (per class for classification).

    Returns:
        ``((x, y), (x, y) or None, facts)``: ``x`` float32 ``(rows, features)``; ``y``
        float32 ``(rows, 1)`` (regression) or int32 ``(rows,)`` class indices; facts
        ``feature_names``, ``num_features``, ``mean`` and ``variance`` (of the training
        rows), and ``class_names`` for classification.

    Raises:
        errors.DataError: the table cannot be used (see ``read_table``), it has no
            ``target`` column, or too few rows for the split.
    """
    columns = read_table(data_dir)
    if target not in columns:
        raise DataError(
            f"the table in {data_dir} has no target column {target!r} (its columns: "
            f"{', '.join(columns)}): set --target"
        )
    names, x = features(columns, target, id_column)
    cells = columns[target]
    facts: dict = {"feature_names": names, "num_features": len(names)}
    if all(is_number(cell) for cell in cells):
        y = numeric(target, cells).reshape(-1, 1)
        order = np.random.default_rng(seed).permutation(len(y))
        held = min(round(len(y) * validation_split), len(y) - 1) if validation_split else 0
        train_idx, val_idx = np.sort(order[held:]), np.sort(order[:held])
    else:
        class_names = sorted(set(cells))
        y = np.asarray([class_names.index(cell) for cell in cells], np.int32)
        train_idx, val_idx = split_indices(y.tolist(), validation_split, seed)
        facts["class_names"] = class_names
    if len(train_idx) < 1:
        raise DataError(f"the table in {data_dir} has no data row")
    facts["mean"] = x[train_idx].mean(axis=0).tolist()
    facts["variance"] = x[train_idx].var(axis=0).tolist()
    validation = (x[val_idx], y[val_idx]) if len(val_idx) else None
    return (x[train_idx], y[train_idx]), validation, facts


def load_inputs(
    path: str | Path, *, batch_size: int, target: str = "target", id_column: str = "id"
):
    """The rows to predict: ``(ids, float32 (rows, features))``; ``target`` is ignored when
    present. Ids are the ``id_column``'s cells, or the row numbers (from 1).

    Raises:
        errors.DataError: as ``read_table`` and ``features``.
    """
    columns = read_table(path)
    _, x = features(columns, target, id_column)
    ids = columns.get(id_column) or [str(number) for number in range(1, len(x) + 1)]
    return ids, x


def smoke_data(folder: Path) -> Path:
    """A 24-row demo table, for ``make smoke``."""
    return write_demo_table(folder / "data", rows=24)
