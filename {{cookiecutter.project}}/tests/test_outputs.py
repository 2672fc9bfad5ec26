"""Output folders the process cannot write: one ``error:`` line naming the folder and the
fix, before any work, for every command (``artifacts.require_writable``, ``cli.run``)."""

import pytest

from {{ cookiecutter.package }}.artifacts import require_writable
from {{ cookiecutter.package }}.cli import run
from {{ cookiecutter.package }}.config import ExportConfig
from {{ cookiecutter.package }}.errors import OutputError
from {{ cookiecutter.package }}.train import main as train_main


def test_a_folder_under_a_file_is_refused_naming_both(tmp_path):
    blocker = tmp_path / "artifacts"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match=f"cannot write to {blocker / 'run'}: {blocker} is"):
        require_writable(blocker / "run")
    assert require_writable(tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert not (tmp_path / "new").exists()  # checked, not created


def test_a_permission_error_of_any_command_is_one_error_line(tmp_path, capsys):
    """As the image's non-root user training into a bind mount owned by another user."""

    def command(config):
        raise PermissionError(13, "Permission denied", "/out/run")

    status = run(ExportConfig, command, lambda config, result: None, [])
    error = capsys.readouterr().err
    assert status == 2 and error.count("\n") == 1
    assert error.startswith("error: not allowed to write /out/run (Permission denied)")
    assert "make image-train" in error


def test_train_into_an_unusable_folder_stops_before_reading_the_data(tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    argv = ["--output-dir", str(blocker / "run"), "--data-dir", str(tmp_path / "no-data")]
    assert train_main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: cannot write to {blocker / 'run'}") and "no-data" not in error
