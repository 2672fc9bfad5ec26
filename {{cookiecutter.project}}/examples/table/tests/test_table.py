"""The table example end to end: load_data, the Sequential model, train, evaluate, predict,
export and the data check, on a regression and on a classification."""

import csv
import json

import numpy as np
import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.config import ExportConfig
from {{ cookiecutter.package }}.data.check import main as check_main
from {{ cookiecutter.package }}.data.demo import write_demo_table
from {{ cookiecutter.package }}.dataset import load_data, load_inputs
from {{ cookiecutter.package }}.errors import DataError
from {{ cookiecutter.package }}.evaluate import main as evaluate_main
from {{ cookiecutter.package }}.export import main as export_main
from {{ cookiecutter.package }}.predict import main as predict_main
from {{ cookiecutter.package }}.train import main as train_main


def test_a_numeric_target_is_a_regression_split_with_the_seed(table):
    train, validation, facts = load_data(table, validation_split=0.25, seed=0, batch_size=8)
    assert train[0].dtype == np.float32 and train[0].shape == (45, 5)
    assert train[1].shape == (45, 1) and validation[1].shape == (15, 1)
    assert "class_names" not in facts and facts["num_features"] == 5
    np.testing.assert_allclose(facts["mean"], train[0].mean(axis=0), rtol=1e-5)
    again = load_data(table, validation_split=0.25, seed=0, batch_size=8)
    np.testing.assert_array_equal(again[0][0], train[0])


def test_a_text_target_is_a_classification_with_sorted_class_names(class_table):
    train, validation, facts = load_data(class_table, validation_split=0.2, seed=0, batch_size=8)
    assert facts["class_names"] == ["high", "low", "medium"]
    assert train[1].dtype == np.int32 and set(train[1]) == {0, 1, 2}


def test_a_non_numeric_feature_is_one_error_naming_the_column(table):
    path = table / "measurements.csv"
    text = path.read_text().splitlines()
    cells = text[3].split(",")
    cells[1] = "old"
    text[3] = ",".join(cells)
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match="column 'age' holds 'old'"):
        load_data(table, validation_split=0.2, seed=0, batch_size=8)
    assert check_main(["--data-dir", str(table), "--report", str(table / "r.json")]) == 1


def test_regression_trains_evaluates_predicts_and_exports(table, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["--data-dir", str(table), "--output-dir", str(run), "--epochs", "3"]
    assert train_main([*argv, "--batch-size", "16"]) == 0
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"loss", "mae", "rmse", "val_mae", "val_rmse"} <= set(metrics)
    assert metrics["train_examples"] == 48 and "class_names" not in metrics
    model = str(run / "model.keras")
    assert evaluate_main(["--model", model, "--data-dir", str(table)]) == 0
    evaluation = json.loads((run / "evaluation" / "evaluation.json").read_text())
    assert set(evaluation["metrics"]) == {"loss", "mae", "rmse"} and evaluation["examples"] == 60
    assert "confusion_matrix" not in evaluation
    assert predict_main(["--model", model, "--input", str(table)]) == 0
    with (run / "predictions" / "predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    ids, inputs = load_inputs(table, batch_size=16)
    assert [row["id"] for row in rows] == ids and list(rows[0]) == ["id", "output"]
    assert export_main(["--model", model, "--output-dir", str(tmp_path / "export")]) == 0
    reloaded = tf.saved_model.load(str(tmp_path / "export"))  # referenced while it serves
    served = reloaded.serve(tf.constant(inputs[:4]))
    predicted = np.array([[float(row["output"])] for row in rows[:4]])
    np.testing.assert_allclose(served["outputs"].numpy(), predicted, rtol=1e-4, atol=1e-4)
    capsys.readouterr()


def test_classification_gets_class_names_in_predictions_and_evaluation(class_table, tmp_path):
    run = tmp_path / "run"
    argv = ["--data-dir", str(class_table), "--output-dir", str(run), "--epochs", "2"]
    assert train_main(argv) == 0
    assert json.loads((run / "class_names.json").read_text()) == ["high", "low", "medium"]
    model = str(run / "model.keras")
    assert evaluate_main(["--model", model, "--data-dir", str(class_table)]) == 0
    evaluation = json.loads((run / "evaluation" / "evaluation.json").read_text())
    assert np.array(evaluation["confusion_matrix"]).sum() == 60
    assert predict_main(["--model", model, "--input", str(class_table)]) == 0
    with (run / "predictions" / "predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 60 and {row["class"] for row in rows} <= {"high", "low", "medium"}


@pytest.mark.parametrize("classes", [False, True])
def test_the_table_model_exports_in_every_format_checked_in_its_runtime(tmp_path, capsys, classes):
    """Regression and classification: every file agrees with Keras on the table's rows."""
    data = write_demo_table(tmp_path / "data", rows=300, classes=classes)
    run = tmp_path / "run"
    argv = ["--data-dir", str(data), "--output-dir", str(run), "--epochs", "10"]
    assert train_main([*argv, "--batch-size", "16"]) == 0
    export = tmp_path / "export"
    argv = ["--model", str(run / "model.keras"), "--output-dir", str(export)]
    # the default thresholds: int8 keeps the Normalization layer float, so cholesterol (near
    # 5) keeps its resolution beside systolic blood pressure (near 130)
    assert export_main([*argv, "--format", "all", "--data-dir", str(data)]) == 0
    figures = json.loads((export / "export.json").read_text())["formats"]
    formats = ExportConfig(format="all").formats  # openvino only where it was installed
    assert list(figures) == list(formats) and all(f["passed"] for f in figures.values())
    # 300 rows: 128 calibrate litert-int8, 128 others check every file
    assert all(figures[f]["examples"] == 128 for f in formats if f != "saved_model")
    int8 = figures["litert-int8"]
    assert ("top1_agreement" in int8) == classes
    metric = int8["accuracy" if classes else "mae"]
    assert abs(metric["litert-int8"] - metric["keras"]) <= 0.05 * max(metric["keras"], 1)
    capsys.readouterr()
