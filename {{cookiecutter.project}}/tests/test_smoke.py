"""The import smoke test: passes on the installed lock, names each failure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stackguard import locks, smoke

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_smoke_test_passes_on_the_installed_lock(capsys):
    assert smoke.main([]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "PASS versions:" in out
    # The package's own checks (checks.smoke_checks): a batch of dataset.load_data (one per
    # loader, if the data options have a loader), the model, a training through the engine
    # with every callback and the record, an export.
    assert "PASS data" in out
    for line in ("model", "train", "export"):
        assert f"PASS {line}:" in out, line
    assert "config.yaml, facts.json, run.json written, backup removed" in out


def test_version_mismatches_name_both_versions(tmp_path):
    lock = tmp_path / "cpu.txt"
    lock.write_text("keras==3.15.1 \\\n    --hash=sha256:00\nnumpy==2.5.5\nabsent-package==1.0\n")
    check = locks.check_versions([lock], {"keras": "3.15.1", "numpy": "2.4.0"})
    assert not check.ok
    assert "numpy installed 2.4.0, locked 2.5.5" in check.found
    assert "absent-package not installed (locked 1.0)" in check.found
    assert "keras" not in check.found


def test_the_cuda_lock_is_active_when_nvidia_wheels_are_installed(tmp_path):
    (tmp_path / "cpu.txt").write_text("tensorflow==2.21.0\n")
    (tmp_path / "cuda.txt").write_text("tensorflow==2.21.0\nnvidia-cudnn-cu12==9.0\n")
    cpu = locks.active_locks(tmp_path, {"tensorflow": "2.21.0"})
    cuda = locks.active_locks(tmp_path, {"tensorflow": "2.21.0", "nvidia-cudnn-cu12": "9.0"})
    assert cpu[0].name == "cpu.txt" and cuda[0].name == "cuda.txt"


def test_warnings_fail_a_strict_check():
    import warnings

    check = smoke.strict(
        "probe", lambda: warnings.warn("old API", DeprecationWarning, stacklevel=2) or ""
    )
    assert not check.ok and "DeprecationWarning: old API" in str(check)


@pytest.mark.gpu
def test_gpu_smoke_check(gpu_required):
    check = smoke.check_gpu()
    assert check.ok, check


@pytest.fixture(scope="module")
def venv_without_tensorboard(tmp_path_factory) -> Path:
    """A scratch venv of the CPU and dev locks (uv, hash-checked), then tensorboard removed."""
    venv = tmp_path_factory.mktemp("no-tensorboard") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    uv = Path(sys.executable).parent / "uv"
    python = str(venv / "bin" / "python")
    requirements = PROJECT_ROOT / "requirements"
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--no-python-downloads", "--python", python]
        + ["--require-hashes", "--no-deps", "-r", str(requirements / "cpu.txt")]
        + ["-r", str(requirements / "dev.txt")],
        check=True,
    )
    subprocess.run(
        [str(uv), "pip", "uninstall", "--quiet", "--python", python, "tensorboard"], check=True
    )
    return venv


@pytest.mark.slow
def test_without_tensorboard_the_smoke_test_and_the_doctor_name_it(venv_without_tensorboard):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "src")]),
    }
    python = str(venv_without_tensorboard / "bin" / "python")

    def run(module: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [python, "-m", module], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
        )

    smoke_run = run("stackguard.smoke")
    assert smoke_run.returncode == 1
    failed = [line for line in smoke_run.stdout.splitlines() if line.startswith("FAIL")]
    assert any("tensorboard not installed (locked" in line for line in failed), failed
    # The package's training check runs the TensorBoard callback through the engine.
    [train] = [line for line in failed if line.startswith("FAIL train:")]
    assert "TBNotInstalledError" in train and "No module named 'tensorboard'" in train, train
    doctor_run = run("stackguard.doctor")
    assert "FAIL tensorboard: tf.summary.scalar failed: TBNotInstalledError" in doctor_run.stdout
