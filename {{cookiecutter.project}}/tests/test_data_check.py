"""Real photo collections: Keras's folder conventions (nested class folders, hidden files),
EXIF orientation applied as Pillow applies it in both loaders, ``make data-check``'s errors
and warnings, and training's warning about duplicates across its split."""

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image, ImageOps

from {{ cookiecutter.package }}.data.check import main as check_main
from {{ cookiecutter.package }}.data.demo import write_demo_dataset
from {{ cookiecutter.package }}.data.images import (
    IMAGE_EXTENSIONS,
    list_image_folder,
)
from {{ cookiecutter.package }}.data.pipeline import make_dataset
from {{ cookiecutter.package }}.data.pydataset import ImageFolderPyDataset
from {{ cookiecutter.package }}.train import main as train_main

# Width 6, height 4, every pixel distinct, so each of the 8 orientations gives other pixels.
PIXELS = (np.arange(6 * 4 * 3).reshape(4, 6, 3) * 3).astype(np.uint8)


def test_the_folder_listing_is_keras_s_own(tmp_path):
    """The same files, in the same order, as keras.utils.image_dataset_from_directory lists
    (it walks each class folder recursively and picks files by its own extension list)."""
    for name in ("dogs", "cats"):
        (tmp_path / name / "2024").mkdir(parents=True)
        for file in ("a.png", "b.JPG", "c.jpeg", "d.bmp", "e.gif", "f.webp", "g.tiff"):
            Image.fromarray(PIXELS).save(tmp_path / name / "2024" / file)
        Image.fromarray(PIXELS).save(tmp_path / name / "z.PNG")
        (tmp_path / name / "notes.txt").write_text("not an image")
    dataset = keras.utils.image_dataset_from_directory(tmp_path, shuffle=False, image_size=(4, 6))
    paths, labels, class_names = list_image_folder(tmp_path)
    assert paths == dataset.file_paths and class_names == dataset.class_names
    assert {Path(path).suffix.lower() for path in paths} == set(IMAGE_EXTENSIONS)


def test_class_folders_are_walked_recursively_and_hidden_files_are_skipped(tmp_path):
    for name in ("dogs", "cats"):
        (tmp_path / name / "2024" / "june").mkdir(parents=True)
        Image.fromarray(PIXELS).save(tmp_path / name / "2024" / "june" / "a.png")
        Image.fromarray(PIXELS).save(tmp_path / name / "b.JPG")
        (tmp_path / name / ".thumbs").mkdir()
        Image.fromarray(PIXELS).save(tmp_path / name / ".thumbs" / "t.png")
        Image.fromarray(PIXELS).save(tmp_path / name / "._b.png")  # a macOS resource fork
        (tmp_path / name / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden-class").mkdir()
    paths, labels, class_names = list_image_folder(tmp_path)
    assert class_names == ["cats", "dogs"]
    assert [Path(p).relative_to(tmp_path).as_posix() for p in paths] == [
        "cats/b.JPG", "cats/2024/june/a.png", "dogs/b.JPG", "dogs/2024/june/a.png",
    ]  # fmt: skip
    assert labels == [0, 0, 1, 1]


def exif_png(path: Path, orientation: int) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(PIXELS).save(path, exif=exif)
    return path


@pytest.mark.parametrize("orientation", range(1, 9))
def test_both_loaders_turn_an_exif_oriented_image_as_pillow_does(tmp_path, orientation):
    path = exif_png(tmp_path / "photo.png", orientation)
    with Image.open(path) as image:
        seen = np.asarray(ImageOps.exif_transpose(image).convert("RGB"), np.float32) / 255
    size = seen.shape[:2]
    x_sequence, _ = ImageFolderPyDataset([str(path)], [0], batch_size=1, image_size=size)[0]
    x_tf_data, _ = next(iter(make_dataset([str(path)], [0], batch_size=1, image_size=size)))
    np.testing.assert_allclose(x_sequence[0], seen, atol=1e-6)
    np.testing.assert_array_equal(x_sequence, x_tf_data.numpy())


def problem_collection(root: Path) -> Path:
    """Demo classes plus: a copy across classes, a copy inside a class, a truncated JPEG, an
    EXIF-rotated photo, a tiny image, a non-image file."""
    write_demo_dataset(root, images_per_class=4, image_size=32)
    shutil.copyfile(root / "circle" / "circle_0000.png", root / "square" / "copied.png")
    shutil.copyfile(root / "stripes" / "stripes_0001.png", root / "stripes" / "again.png")
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(root / "circle" / "whole.jpg")
    (root / "circle" / "broken.jpg").write_bytes((root / "circle" / "whole.jpg").read_bytes()[:200])
    exif_png(root / "square" / "phone.png", 6)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "stripes" / "tiny.png")
    (root / "stripes" / "README.txt").write_text("about these images")
    return root


def test_data_check_names_every_problem_file_and_fails_on_errors(tmp_path, capsys):
    data = problem_collection(tmp_path / "data")
    report_path = tmp_path / "report.json"
    argv = ["--data-dir", str(data), "--image-size", "16", "--report", str(report_path)]
    assert check_main(argv) == 1
    out = capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert report["unreadable"] == [str(data / "circle" / "broken.jpg")]
    assert report["duplicates_across_classes"] == [
        [str(data / "circle" / "circle_0000.png"), str(data / "square" / "copied.png")]
    ]
    assert report["duplicates_within_class"] == [
        [str(data / "stripes" / "again.png"), str(data / "stripes" / "stripes_0001.png")]
    ]
    assert report["exif_rotated"] == [str(data / "square" / "phone.png")]
    assert report["smaller_than_image_size"] == [str(data / "square" / "phone.png"),
                                                 str(data / "stripes" / "tiny.png")]  # fmt: skip
    assert report["skipped"] == [str(data / "stripes" / "README.txt")]
    assert report["sizes"]["smallest"] == [4, 6] and report["sizes"]["largest"] == [64, 48]
    assert (report["errors"], report["warnings"]) == (2, 3)
    for path in ("broken.jpg", "copied.png", "again.png", "phone.png", "tiny.png", "README.txt"):
        assert path in out, path
    assert "data-check: 2 error(s), 3 warning(s)" in out


def test_data_check_passes_with_warnings_alone(tmp_path, capsys):
    data = write_demo_dataset(tmp_path / "data", images_per_class=4, image_size=32)
    shutil.copyfile(data / "circle" / "circle_0000.png", data / "circle" / "same.png")
    argv = ["--data-dir", str(data), "--report", str(tmp_path / "r.json")]
    assert check_main(argv) == 0
    assert "data-check: 0 error(s), 1 warning(s)" in capsys.readouterr().out


def test_training_warns_about_copies_on_both_sides_of_its_split(tmp_path, capsys):
    data = write_demo_dataset(tmp_path / "data", images_per_class=2, image_size=16)
    # Two identical circles: a 0.5 split holds one out and trains on the other.
    shutil.copyfile(data / "circle" / "circle_0000.png", data / "circle" / "circle_0001.png")
    argv = ["--data-dir", str(data), "--output-dir", str(tmp_path / "out"), "--epochs", "1",
            "--image-size", "16", "--validation-split", "0.5"]  # fmt: skip
    assert train_main(argv) == 0
    err = capsys.readouterr().err
    assert "warning: 1 group(s) of identical images are on both sides" in err
    assert "circle_0000.png" in err and "circle_0001.png" in err
