"""The prediction CLI: every readable image of a folder tree, broken ones named and skipped."""

import csv
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.data.images import decode_image
from {{ cookiecutter.package }}.model import build_model
from {{ cookiecutter.package }}.predict import main

from conftest import record_run

CLASS_NAMES = ["circle", "square", "stripes"]


@pytest.fixture
def model_path(tmp_path):
    """An untrained 16x16 model (prediction does not need a good one) and class_names.json."""
    path = tmp_path / "model" / "model.keras"
    path.parent.mkdir()
    build_model((16, 16), len(CLASS_NAMES)).save(path)
    record_run(path.parent, CLASS_NAMES)
    return path


def read_rows(path):
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def test_folder_tree_gets_one_row_per_readable_image(model_path, image_folder, tmp_path, capsys):
    source = sorted((image_folder / "circle").iterdir())
    photos = tmp_path / "photos"
    (photos / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(source[0], photos / "a.png")
    shutil.copy(source[1], photos / "sub" / "b.png")
    shutil.copy(source[2], photos / "sub" / "deeper" / "c.PNG")
    (photos / "notes.txt").write_text("not an image, skipped by extension")
    broken = photos / "sub" / "broken.png"
    broken.write_text("text, not a PNG")
    output = tmp_path / "predictions"
    assert (
        main(["--model", str(model_path), "--input", str(photos), "--output-dir", str(output)]) == 0
    )
    rows = read_rows(output / "predictions.csv")
    assert list(rows[0]) == ["id", "class", "probability"]
    expected = {photos / "a.png", photos / "sub" / "b.png", photos / "sub" / "deeper" / "c.PNG"}
    assert len(rows) == 3 and {row["id"] for row in rows} == {str(path) for path in expected}
    assert all(
        row["class"] in CLASS_NAMES and 0.0 <= float(row["probability"]) <= 1.0 for row in rows
    )
    error = capsys.readouterr().err
    assert str(broken) in error and "notes.txt" not in error


def test_single_file_gets_the_models_top_class_and_probability(model_path, image_folder, tmp_path):
    image = sorted((image_folder / "square").iterdir())[0]
    output = tmp_path / "predictions"
    assert (
        main(["--model", str(model_path), "--input", str(image), "--output-dir", str(output)]) == 0
    )
    [row] = read_rows(output / "predictions.csv")
    probabilities = keras.saving.load_model(model_path, compile=False).predict(
        decode_image(tf.io.read_file(str(image)), (16, 16))[None], verbose=0
    )[0]
    assert row["class"] == CLASS_NAMES[int(np.argmax(probabilities))]
    assert float(row["probability"]) == pytest.approx(float(probabilities.max()), abs=1e-5)


def test_no_readable_image_is_an_error(model_path, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "broken.png").write_text("text")
    argv = ["--model", str(model_path), "--input", str(photos)]
    assert main([*argv, "--output-dir", str(tmp_path / "o")]) == 2
    assert "error:" in capsys.readouterr().err
