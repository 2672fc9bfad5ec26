"""The evaluation CLI: metrics consistent with the confusion matrix, and clear errors."""

import json
import shutil

import keras
import numpy as np
import pytest

from {{ cookiecutter.package }}.artifacts import (
    ArtifactError,
    load_run,
    save_class_names,
)
from {{ cookiecutter.package }}.data.images import list_image_folder
from {{ cookiecutter.package }}.data.pipeline import make_dataset
from {{ cookiecutter.package }}.evaluate import (
    classification_report,
    confusion_matrix,
    main,
)
from {{ cookiecutter.package }}.model import build_model

from conftest import record_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def trained_model(image_folder, tmp_path):
    """``model.keras`` fitted for one epoch on ``image_folder``, with its class_names.json."""
    paths, labels, class_names = list_image_folder(image_folder)
    keras.utils.set_random_seed(0)
    model = build_model((16, 16), len(class_names))
    model.fit(
        make_dataset(paths, labels, batch_size=8, image_size=(16, 16)),
        epochs=1,
        shuffle=False,
        verbose=0,
    )
    path = tmp_path / "model" / "model.keras"
    path.parent.mkdir()
    model.save(path)
    record_run(path.parent, class_names)
    return path


def test_evaluation_json_agrees_with_its_confusion_matrix(
    trained_model, image_folder, tmp_path, capsys
):
    output = tmp_path / "evaluation"
    argv = ["--model", str(trained_model), "--data-dir", str(image_folder)]
    assert main([*argv, "--output-dir", str(output)]) == 0
    result = json.loads((output / "evaluation.json").read_text())
    assert {"accuracy", "per_class", "confusion_matrix", "class_names"} <= set(result)
    assert result["class_names"] == ["circle", "square", "stripes"]
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (3, 3) and matrix.sum() == 15
    for i, name in enumerate(result["class_names"]):
        row = result["per_class"][name]
        assert matrix[i].sum() == row["support"] == 5
        p, r = row["precision"], row["recall"]
        assert row["f1"] == pytest.approx(2 * p * r / (p + r) if p + r else 0.0)
    assert result["accuracy"] == pytest.approx(np.trace(matrix) / matrix.sum())
    assert (output / "confusion_matrix.png").read_bytes()[:8] == PNG_SIGNATURE
    table = capsys.readouterr().out
    assert "precision" in table and "accuracy" in table and "stripes" in table


def test_metrics_of_a_known_confusion_matrix():
    matrix = confusion_matrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    report = classification_report(matrix, ["a", "b", "c"])
    assert report["accuracy"] == pytest.approx(3 / 5)
    assert report["per_class"]["a"] == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    )
    assert report["per_class"]["b"]["precision"] == pytest.approx(2 / 3)
    assert report["per_class"]["b"]["recall"] == 1.0
    # Never predicted correctly: 0, not a division by zero.
    assert report["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_class_folder_unknown_to_the_model_is_an_error_naming_it(
    trained_model, image_folder, tmp_path, capsys
):
    unknown = image_folder / "hexagon"
    unknown.mkdir()
    shutil.copy(next((image_folder / "circle").iterdir()), unknown / "h.png")
    argv = ["--model", str(trained_model), "--data-dir", str(image_folder)]
    assert main([*argv, "--output-dir", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error:") and "hexagon" in error
    assert not (tmp_path / "o").exists()


def test_missing_facts_name_the_file_and_the_fix(image_folder, tmp_path, capsys):
    path = tmp_path / "model.keras"
    build_model((16, 16), 3).save(path)
    assert main(["--model", str(path), "--data-dir", str(image_folder)]) == 2
    error = capsys.readouterr().err
    assert str(tmp_path / "facts.json") in error and "make train" in error


def test_class_names_that_disagree_with_the_model_outputs_are_refused(tmp_path):
    path = tmp_path / "best.keras"
    build_model((16, 16), 3).save(path)
    save_class_names(tmp_path, ["cat", "dog"])
    with pytest.raises(ArtifactError, match="2 classes but the model .* has 3 outputs"):
        load_run(path)
    save_class_names(tmp_path, ["cat", "dog", "fox"])
    run = load_run(path)
    assert run.class_names == ["cat", "dog", "fox"] and run.model.output_shape == (None, 3)
