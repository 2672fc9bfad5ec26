"""Image I/O on real files: every format decodes to the right RGB values, junk is skipped."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.data.images import (
    batch_decoder,
    decode_image,
    find_unreadable_images,
    list_image_folder,
    orientations,
)
from {{ cookiecutter.package }}.data.pipeline import make_dataset
from {{ cookiecutter.package }}.data.pydataset import ImageFolderPyDataset

from conftest import (
    MIXED_FORMAT_COLOURS,
    MIXED_FORMAT_FILES,
    MIXED_FORMAT_JUNK,
    MIXED_FORMAT_SIZE,
    grey_level,
)

# JPEG is lossy: a flat colour comes back within a few levels of 255.
JPEG_TOLERANCE = 4 / 255


def decoded(path: Path) -> np.ndarray:
    return decode_image(tf.io.read_file(str(path)), MIXED_FORMAT_SIZE).numpy()


@pytest.mark.parametrize("file_name", sorted(MIXED_FORMAT_FILES))
def test_every_format_decodes_to_float_rgb_of_the_class_colour(mixed_image_folder, file_name):
    for class_name, colour in MIXED_FORMAT_COLOURS.items():
        image = decoded(mixed_image_folder / class_name / file_name)
        assert image.shape == (*MIXED_FORMAT_SIZE, 3) and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0
        expected = [grey_level(colour)] * 3 if file_name == "gray.jpg" else colour
        lossy = file_name.lower().endswith((".jpg", ".jpeg"))
        np.testing.assert_allclose(
            image.reshape(-1, 3),
            np.broadcast_to(np.asarray(expected) / 255, (image.size // 3, 3)),
            atol=JPEG_TOLERANCE if lossy else 1e-6,
            err_msg=f"{class_name}/{file_name}",
        )


def test_a_16_bit_png_of_65535_decodes_to_one(tmp_path):
    path = tmp_path / "white16.png"
    tf.io.write_file(str(path), tf.io.encode_png(tf.fill((4, 4, 3), tf.constant(65535, tf.uint16))))
    np.testing.assert_array_equal(decode_image(tf.io.read_file(str(path)), (4, 4)), 1.0)


def test_grayscale_jpeg_gives_three_equal_channels(mixed_image_folder):
    image = decoded(mixed_image_folder / "red" / "gray.jpg")
    np.testing.assert_array_equal(image[..., 0], image[..., 1])
    np.testing.assert_array_equal(image[..., 0], image[..., 2])


def test_rgba_png_keeps_its_rgb_and_drops_alpha(mixed_image_folder):
    image = decoded(mixed_image_folder / "green" / "alpha.png")
    np.testing.assert_allclose(
        image[0, 0], np.array(MIXED_FORMAT_COLOURS["green"]) / 255, atol=1e-6
    )


def test_listing_keeps_images_of_any_case_and_skips_junk(mixed_image_folder):
    paths, labels, class_names = list_image_folder(mixed_image_folder)
    assert class_names == sorted(MIXED_FORMAT_COLOURS)
    names = {Path(path).name for path in paths}
    assert names == set(MIXED_FORMAT_FILES)
    assert {"upper.JPG", "upper.PNG"} <= names
    assert not names & set(MIXED_FORMAT_JUNK)
    assert len(paths) == len(labels) == len(MIXED_FORMAT_COLOURS) * len(MIXED_FORMAT_FILES)


def test_a_text_file_named_png_is_reported_unreadable(mixed_image_folder):
    paths, _, _ = list_image_folder(mixed_image_folder)
    fake = mixed_image_folder / "red" / "fake.png"
    fake.write_text("this is text, not a PNG\n")
    assert find_unreadable_images([*paths, str(fake)]) == [str(fake)]


def test_batch_decoder_equals_decode_image_and_traces_once(mixed_image_folder):
    paths, _, _ = list_image_folder(mixed_image_folder)
    decode_batch = batch_decoder((8, 6))
    for size in (1, 5, len(paths)):
        turns = tf.constant(orientations(paths[:size]))
        batch = decode_batch(tf.constant(paths[:size]), turns).numpy()
        expected = [decode_image(tf.io.read_file(p), (8, 6)).numpy() for p in paths[:size]]
        np.testing.assert_array_equal(batch, np.stack(expected))
    assert decode_batch.experimental_get_tracing_count() == 1


def test_both_loaders_read_the_mixed_folder_to_the_same_batches(mixed_image_folder):
    paths, labels, _ = list_image_folder(mixed_image_folder)
    sequence = ImageFolderPyDataset(paths, labels, batch_size=4, image_size=(10, 12))
    batches = list(make_dataset(paths, labels, batch_size=4, image_size=(10, 12)))
    assert len(batches) == len(sequence) == 7  # 27 images
    for index, (x, y) in enumerate(batches):
        x_seq, y_seq = sequence[index]
        np.testing.assert_array_equal(y.numpy(), y_seq)
        np.testing.assert_allclose(x.numpy(), x_seq, atol=1e-6)
