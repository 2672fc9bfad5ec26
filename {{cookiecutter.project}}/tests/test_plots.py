"""The plots: valid PNG files, drawn without a display."""

import pytest
import tensorflow as tf

from {{ cookiecutter.package }}.training.plots import (
    plot_confusion_matrix,
    plot_history,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_valid_png(path):
    contents = path.read_bytes()
    assert contents[:8] == PNG_SIGNATURE
    height, width, _ = tf.io.decode_png(contents).shape
    assert height > 100 and width > 100


def test_history_and_confusion_matrix_are_written_as_png(tmp_path):
    history = {
        "loss": [1.0, 0.6, 0.4],
        "accuracy": [0.4, 0.7, 0.8],
        "val_loss": [1.1, 0.8, 0.5],
        "val_accuracy": [0.3, 0.6, 0.75],
    }
    assert (
        plot_history(history, tmp_path / "plots" / "history.png")
        == tmp_path / "plots" / "history.png"
    )
    assert_valid_png(tmp_path / "plots" / "history.png")
    matrix = [[4, 1, 0], [0, 5, 0], [1, 0, 4]]
    plot_confusion_matrix(matrix, ["circle", "square", "stripes"], tmp_path / "cm.png")
    assert_valid_png(tmp_path / "cm.png")


def test_history_without_validation_is_drawn(tmp_path):
    assert_valid_png(plot_history({"loss": [0.9, 0.5], "accuracy": [0.5, 0.8]}, tmp_path / "h.png"))


def test_confusion_matrix_must_match_the_class_names(tmp_path):
    with pytest.raises(ValueError, match="does not match 2 class names"):
        plot_confusion_matrix([[1, 0, 0], [0, 1, 0], [0, 0, 1]], ["a", "b"], tmp_path / "cm.png")
