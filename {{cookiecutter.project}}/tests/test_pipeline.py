"""The tf.data pipeline: same batches as the PyDataset, shuffling, caching."""

import re

import numpy as np
import pytest

from {{ cookiecutter.package }}.data.images import list_image_folder
from {{ cookiecutter.package }}.data.pipeline import dataset_from_directory, make_dataset
from {{ cookiecutter.package }}.data.pydataset import ImageFolderPyDataset


def test_sequence_and_tf_data_yield_the_same_batches(image_folder):
    paths, labels, _ = list_image_folder(image_folder)
    sequence = ImageFolderPyDataset(paths, labels, batch_size=4, image_size=(10, 10))
    batches = list(make_dataset(paths, labels, batch_size=4, image_size=(10, 10)))
    assert len(batches) == len(sequence)
    for index, (x, y) in enumerate(batches):
        x_seq, y_seq = sequence[index]
        np.testing.assert_array_equal(y.numpy(), y_seq)
        np.testing.assert_allclose(x.numpy(), x_seq, atol=1e-6)


def test_shuffled_epochs_keep_every_example_once(image_folder):
    dataset, _ = dataset_from_directory(
        image_folder, batch_size=15, image_size=(8, 8), shuffle=True, seed=3, cache=True
    )
    epochs = [next(iter(dataset)) for _ in range(2)]
    for x, y in epochs:
        assert x.shape == (15, 8, 8, 3) and x.dtype.name == "float32"
        assert sorted(y.numpy().tolist()) == [0] * 5 + [1] * 5 + [2] * 5
    assert epochs[0][1].numpy().tolist() != epochs[1][1].numpy().tolist()


def test_mismatched_paths_and_labels_are_rejected(image_folder):
    paths, labels, _ = list_image_folder(image_folder)
    with pytest.raises(ValueError, match="15 paths but 14 labels"):
        make_dataset(paths, labels[:-1])


def test_benchmark_prints_both_rates_and_their_ratio(image_folder, capsys):
    from {{ cookiecutter.package }}.benchmark import main

    assert main(["--data-dir", str(image_folder), "--epochs", "1", "--image-size", "8"]) == 0
    out = capsys.readouterr().out
    rates = re.findall(r"([\d.]+) img/s", out)
    assert len(rates) == 2 and all(float(rate) > 0 for rate in rates)
    assert float(re.search(r"ratio tf.data / PyDataset: ([\d.]+)", out).group(1)) > 0
