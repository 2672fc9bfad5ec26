"""One typed configuration per command: flags from its fields, files under flags, one error
line naming the field, the value and what is accepted."""

import importlib.util
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package }}.cli import (
    parse,
    read_config_file,
    write_config_file,
)
from {{ cookiecutter.package }}.config import EvaluateConfig, TrainConfig
from {{ cookiecutter.package }}.errors import ConfigError
from {{ cookiecutter.package }}.train import main

PROJECT = Path(__file__).resolve().parents[1]


def test_every_field_is_a_flag_and_unset_fields_keep_their_defaults():
    config = parse(TrainConfig, ["--batch-size", "8", "--fresh", "--loader", "tf-data"])
    assert (config.batch_size, config.fresh, config.loader) == (8, True, "tf-data")
    assert config.epochs == TrainConfig.model_fields["epochs"].default
    assert config.model_fields_set == {"batch_size", "fresh", "loader"}


def test_a_configuration_file_is_read_first_and_flags_override_it(tmp_path):
    (tmp_path / "run.yaml").write_text("epochs: 7\nbatch_size: 4\nseed: 3\n")
    config = parse(TrainConfig, ["--config", str(tmp_path / "run.yaml"), "--epochs", "2"])
    assert (config.epochs, config.batch_size, config.seed) == (2, 4, 3)
    (tmp_path / "run.toml").write_text('epochs = 9\nloader = "tf-data"\n')
    if importlib.util.find_spec("tomllib") is None:  # Python 3.10: one error that says so
        with pytest.raises(ConfigError, match="reading TOML needs Python >= 3.11"):
            parse(TrainConfig, ["--config", str(tmp_path / "run.toml")])
        return
    config = parse(TrainConfig, ["--config", str(tmp_path / "run.toml")])
    assert (config.epochs, config.loader) == (9, "tf-data")


def test_a_written_configuration_reads_back_equal(tmp_path):
    config = TrainConfig(data_dir=tmp_path / "d", epochs=3, patience=2, deterministic=True)
    path = write_config_file(config, tmp_path / "config.yaml")
    assert parse(TrainConfig, ["--config", str(path)]) == config
    assert read_config_file(path)["data_dir"] == str(tmp_path / "d")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--epochs", "0"], "epochs (--epochs): '0' is not accepted: Input should be greater"),
        (
            ["--loader", "torch"],
            "loader (--loader): 'torch' is not accepted: Input should be 'sequence' or 'tf-data'",
        ),
        (["--validation-split", "1.5"], "validation_split (--validation-split): '1.5' is not"),
        (
            ["--batch-size", "many"],
            "batch_size (--batch-size): 'many' is not accepted: Input should be a valid integer",
        ),
    ],
)
def test_a_bad_flag_value_is_one_error_line_naming_field_value_and_what_is_accepted(
    argv, named, tmp_path, capsys
):
    assert main([*argv, "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and named in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_bad_file_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("epochs: 3\nepoch: 4\n")
    with pytest.raises(ConfigError, match=r"epoch \(in .*x.yaml\): not a field; the fields are"):
        parse(TrainConfig, ["--config", str(path)])
    path.write_text("epochs: [3\n")
    with pytest.raises(ConfigError, match="does not parse"):
        parse(TrainConfig, ["--config", str(path)])
    with pytest.raises(ConfigError, match="use a YAML"):
        parse(TrainConfig, ["--config", str(tmp_path / "x.ini")])
    with pytest.raises(ConfigError, match="cannot be read"):
        parse(TrainConfig, ["--config", str(tmp_path / "missing.yaml")])


def test_a_notebook_gets_the_same_checks_building_a_config():
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        TrainConfig(epochs=0)
    with pytest.raises(ValidationError, match="frozen"):
        TrainConfig().epochs = 3  # type: ignore[misc]


def test_output_folders_default_to_the_models_folder():
    config = parse(EvaluateConfig, ["--model", "runs/a/model.keras"])
    assert config.output == Path("runs/a/evaluation")
    assert parse(EvaluateConfig, ["--output-dir", "x"]).output == Path("x")


def test_make_passes_only_the_variables_the_user_set():
    """Defaults live in config.py alone: an unset make variable passes no flag."""
    plain = subprocess.run(
        ["make", "-n", "train"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout
    assert "--epochs" not in plain and "--data-dir" not in plain and "--output-dir" not in plain
    given = subprocess.run(
        ["make", "-n", "train", "EPOCHS=3", "CONFIG=c.yaml", "OUTPUT=o"],
        cwd=PROJECT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "--config c.yaml" in given and "--epochs 3" in given and "--output-dir o" in given
    assert given.index("--config") < given.index("--epochs")  # flags override the file
