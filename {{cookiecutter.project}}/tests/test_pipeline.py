"""The tf.data pipeline: same batches as the PyDataset, shuffling, caching."""

import re
from pathlib import Path

import numpy as np
import pytest

from {{ cookiecutter.package }}.data.images import list_image_folder
from {{ cookiecutter.package }}.data.pipeline import (
    dataset_from_directory,
    make_dataset,
)
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


@pytest.mark.slow
def test_benchmark_prints_every_figure(image_folder, capsys):
    """Each loader, fit with each loader and fit in memory: images/s and peak RSS, each from
    its own process (slow: seven of them import TensorFlow), then both ratios (values are not
    checked for speed)."""
    from {{ cookiecutter.package }}.benchmark import CONFIGURATIONS, main

    argv = ["--data-dir", str(image_folder), "--epochs", "1", "--image-size", "8"]
    assert main([*argv, "--batch-size", "4"]) == 0
    out = capsys.readouterr().out
    lines = re.findall(r"^(loader|fit): (.+?) +([\d.]+) img/s +peak RSS +([\d.]+) MB$", out, re.M)
    assert [mode for mode, *_ in lines] == [mode for mode, _ in CONFIGURATIONS]
    assert [name.split(" (")[0] for _, name, *_ in lines] == [
        "in memory" if name == "memory" else name for _, name in CONFIGURATIONS
    ]
    assert all(float(rate) > 0 and float(rss) > 50 for *_, rate, rss in lines)
    assert float(re.search(r"tf.data / PyDataset \(loaders alone\): ([\d.]+)", out)[1]) > 0
    assert float(re.search(r"faster loader \(.+\) / fit in memory: ([\d.]+)", out)[1]) > 0
    assert "images: 15 in 3 classes" in out


def test_benchmark_names_a_missing_folder(tmp_path, capsys):
    from {{ cookiecutter.package }}.benchmark import main

    assert main(["--data-dir", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_photo_writer_writes_ten_classes_of_jpegs_the_same_for_a_seed(tmp_path, capsys):
    from PIL import Image

    from {{ cookiecutter.package }}.data.demo import main

    argv = ["--photo", "--images-per-class", "2", "--width", "64", "--height", "48"]
    assert main([*argv, "--output-dir", str(tmp_path / "a")]) == 0
    assert "wrote 20 64x48 JPEG images in 10 classes" in capsys.readouterr().out
    assert main([*argv, "--output-dir", str(tmp_path / "b")]) == 0
    paths, labels, class_names = list_image_folder(tmp_path / "a")
    assert len(class_names) == 10 and sorted(set(labels)) == list(range(10)) and len(paths) == 20
    for path in paths:
        with Image.open(path) as image:
            assert (image.format, image.size) == ("JPEG", (64, 48))
        twin = tmp_path / "b" / Path(path).relative_to(tmp_path / "a")
        assert twin.read_bytes() == Path(path).read_bytes()


def test_photo_writer_refuses_a_tiny_photo(tmp_path, capsys):
    from {{ cookiecutter.package }}.data.demo import main

    assert main(["--photo", "--width", "16", "--output-dir", str(tmp_path)]) == 2
    assert "width" in capsys.readouterr().err
