"""A user's own data, as a new user writes it on day one: the table swap test's ``dataset.py``.

A CSV file of building measurements with a number to predict (``heating_load``: a
regression, no classes), read with the standard library into a ``tf.data`` pipeline, not
the arrays of the template's table example; facts of its own names (``n_inputs``, ``mean``,
``std``). Nothing else of the project is edited around it.
"""

import csv

import numpy as np
import tensorflow as tf

TARGET = "heating_load"


def read_rows(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [name for name in rows[0] if name not in ("row", TARGET)]
    x = np.array([[float(row[name]) for name in names] for row in rows], np.float32)
    return rows, x


def load_data(data_dir, *, validation_split, seed, batch_size):
    rows, x = read_rows(data_dir)
    y = np.array([[float(row[TARGET])] for row in rows], np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    held = int(len(x) * validation_split)
    val, train = order[:held], order[held:]
    train_data = (
        tf.data.Dataset.from_tensor_slices((x[train], y[train]))
        .shuffle(len(train), seed=seed)
        .batch(batch_size)
    )
    val_data = tf.data.Dataset.from_tensor_slices((x[val], y[val])).batch(batch_size)
    facts = {
        "n_inputs": x.shape[1],
        "mean": x[train].mean(axis=0).tolist(),
        "std": x[train].std(axis=0).tolist(),
    }
    return train_data, val_data if held else None, facts


def load_inputs(path, *, batch_size):
    rows, x = read_rows(path)
    return [row["row"] for row in rows], x


def write_rows(path, count, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 1.0, (count, 6)) * np.array([1.0, 800.0, 300.0, 250.0, 7.0, 0.4])
    y = 0.02 * x[:, 1] + 0.05 * x[:, 2] - 10.0 * x[:, 5] + rng.normal(0, 0.5, count)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["row", "compactness", "surface", "wall", "roof", "height", "glazing", TARGET]
        )
        for i in range(count):
            writer.writerow([f"b{i}", *(f"{v:.3f}" for v in x[i]), f"{y[i]:.3f}"])


def smoke_data(folder):
    path = folder / "rows.csv"
    write_rows(path, 32)
    return path
