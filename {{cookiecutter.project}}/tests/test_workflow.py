"""Train, evaluate, predict and export, end to end, on real files of many formats."""

import csv
import json
import shutil

import pytest

from {{ cookiecutter.package }} import evaluate, export, predict, train
from {{ cookiecutter.package }}.data.images import list_image_folder

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("loader", ["sequence", "tf-data"])
def test_the_commands_chain_on_a_mixed_format_folder(tmp_path, mixed_image_folder, capsys, loader):
    """Grayscale/RGB JPEG, RGBA/16-bit/palette PNG, BMP, GIF, .JPG/.PNG, and junk files."""
    paths, _, class_names = list_image_folder(mixed_image_folder)
    model_dir = tmp_path / "model"
    argv = ["--data-dir", str(mixed_image_folder), "--loader", loader, "--epochs", "12"]
    argv += ["--batch-size", "8", "--image-size", "16", "--output-dir", str(model_dir)]
    argv += ["--validation-split", "0.25"]
    assert train.main(argv) == 0
    model = model_dir / "model.keras"

    assert evaluate.main(
        ["--model", str(model), "--data-dir", str(mixed_image_folder),
         "--output-dir", str(tmp_path / "evaluation")]
    ) == 0  # fmt: skip
    report = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert report["class_names"] == class_names
    assert sum(map(sum, report["confusion_matrix"])) == len(paths)
    assert report["accuracy"] >= 0.6, report  # grayscale JPEGs differ by brightness only

    inbox = tmp_path / "inbox"
    shutil.copytree(mixed_image_folder, inbox / "nested")
    (inbox / "broken.png").write_text("not an image")
    capsys.readouterr()
    assert predict.main(
        ["--model", str(model), "--input", str(inbox), "--output-dir", str(tmp_path / "pred")]
    ) == 0  # fmt: skip
    assert "broken.png" in capsys.readouterr().err
    with (tmp_path / "pred" / "predictions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(paths)  # junk skipped, the unreadable file reported and skipped
    assert {row["class"] for row in rows} <= set(class_names)

    saved = tmp_path / "saved_model"
    assert export.main(["--model", str(model), "--output-dir", str(saved)]) == 0
    assert json.loads((saved / "class_names.json").read_text()) == class_names
