"""The PyDataset loader: shapes, dtypes, labels, shuffling, workers and bad-data errors."""

import multiprocessing
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import pytest

from {{ cookiecutter.package }}.data.demo import CLASS_NAMES
from {{ cookiecutter.package }}.data.images import (
    DataError,
    find_unreadable_images,
    list_image_folder,
)
from {{ cookiecutter.package }}.data.pydataset import ImageFolderPyDataset


def test_sequence_is_the_pydataset_class():
    """``keras.utils.Sequence`` and ``PyDataset`` are one class in the pinned Keras."""
    assert keras.utils.Sequence is keras.utils.PyDataset
    assert issubclass(ImageFolderPyDataset, keras.utils.Sequence)


def test_folder_listing_gives_sorted_classes_and_matching_labels(image_folder):
    paths, labels, class_names = list_image_folder(image_folder)
    assert class_names == sorted(CLASS_NAMES)
    assert len(paths) == len(labels) == 15
    for path, label in zip(paths, labels, strict=True):
        assert Path(path).parent.name == class_names[label]


def test_batches_are_float32_images_in_unit_range_with_int_labels(image_folder):
    dataset, _ = ImageFolderPyDataset.from_directory(image_folder, batch_size=4, image_size=(8, 12))
    assert len(dataset) == 4  # 15 images in batches of 4
    x, y = dataset[0]
    assert x.shape == (4, 8, 12, 3) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert y.shape == (4,) and y.dtype == np.int32
    assert dataset[3][0].shape[0] == 3  # the last batch holds the remainder
    with pytest.raises(IndexError):
        dataset[4]


def test_labels_follow_the_images_through_shuffling(image_folder):
    """Each image's dominant colour channel is its class, before and after reshuffling."""
    dataset, class_names = ImageFolderPyDataset.from_directory(
        image_folder, batch_size=15, image_size=(16, 16), shuffle=True, seed=1
    )
    channel_of = {name: CLASS_NAMES.index(name) for name in class_names}
    orders = []
    for _ in range(2):
        x, y = dataset[0]
        brightest = x.reshape(len(x), -1, 3).max(axis=1).argmax(axis=1)
        assert [channel_of[class_names[label]] for label in y] == brightest.tolist()
        orders.append(dataset.order.copy())
        dataset.on_epoch_end()
    assert sorted(orders[0]) == list(range(15))
    assert orders[0].tolist() != orders[1].tolist()


def test_pydataset_keyword_arguments_reach_keras(image_folder):
    dataset, _ = ImageFolderPyDataset.from_directory(
        image_folder, workers=2, use_multiprocessing=False, max_queue_size=3
    )
    assert (dataset.workers, dataset.use_multiprocessing, dataset.max_queue_size) == (2, False, 3)
    with pytest.raises(TypeError):
        ImageFolderPyDataset.from_directory(image_folder, not_a_pydataset_option=1)


def test_model_fits_a_pydataset_with_workers(image_folder):
    from {{ cookiecutter.package }}.model import build_model

    dataset, class_names = ImageFolderPyDataset.from_directory(
        image_folder, batch_size=5, image_size=(16, 16), workers=2
    )
    history = build_model((16, 16), len(class_names)).fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_workers_give_the_same_batches_as_one_worker(image_folder):
    """Keras's ordered enqueuer with 2 worker threads yields fit's batches in the same order."""
    paths, labels, _ = list_image_folder(image_folder)
    model = keras.Sequential([keras.Input((10, 10, 3)), keras.layers.Identity()])
    images = [
        model.predict(
            ImageFolderPyDataset(paths, labels, batch_size=4, image_size=(10, 10), workers=w),
            verbose=0,
        )
        for w in (1, 2)
    ]
    assert images[0].shape == (15, 10, 10, 3)
    np.testing.assert_array_equal(images[0], images[1])


def test_getitem_is_safe_from_many_threads(image_folder):
    dataset, _ = ImageFolderPyDataset.from_directory(image_folder, batch_size=2, image_size=(8, 8))
    one_by_one = [dataset[i] for i in range(len(dataset))]
    with ThreadPoolExecutor(4) as pool:
        at_once = list(pool.map(dataset.__getitem__, [*range(len(dataset))] * 3))
    for index, (x, y) in enumerate(at_once):
        np.testing.assert_array_equal(x, one_by_one[index % len(dataset)][0])
        np.testing.assert_array_equal(y, one_by_one[index % len(dataset)][1])


def test_multiprocessing_under_fork_warns_and_uses_threads(image_folder, monkeypatch):
    """Forked workers would hang in TensorFlow, so the dataset keeps to threads."""
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "fork")
    with pytest.warns(UserWarning, match="worker threads instead"):
        dataset, _ = ImageFolderPyDataset.from_directory(
            image_folder, workers=2, use_multiprocessing=True
        )
    assert (dataset.workers, dataset.use_multiprocessing) == (2, False)


def test_dataset_pickles_for_spawned_workers(image_folder):
    """Spawned workers receive the dataset pickled; it decodes the same batch there."""
    dataset, _ = ImageFolderPyDataset.from_directory(image_folder, batch_size=4, image_size=(8, 8))
    copy = pickle.loads(pickle.dumps(dataset))
    np.testing.assert_array_equal(copy[1][0], dataset[1][0])
    np.testing.assert_array_equal(copy[1][1], dataset[1][1])


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("missing", "does not exist"),
        ("no-classes", "found 0: none"),
        ("one-class", "found 1: only"),
        ("empty-class", "holds no image file"),
    ],
)
def test_bad_folders_get_an_error_naming_the_folder(tmp_path, layout, message):
    root = tmp_path / "data"
    if layout != "missing":
        root.mkdir()
    if layout in ("one-class", "empty-class"):
        (root / "only").mkdir()
        (root / "only" / "a.png").write_bytes(b"")
    if layout == "empty-class":
        (root / "second").mkdir()
    with pytest.raises(DataError, match=message) as error:
        list_image_folder(root)
    assert str(root) in str(error.value)


def test_unreadable_images_are_named(image_folder):
    paths, _, _ = list_image_folder(image_folder)
    broken = image_folder / "circle" / "broken.png"
    broken.write_bytes(b"not a png")
    assert find_unreadable_images([*paths, str(broken)]) == [str(broken)]
