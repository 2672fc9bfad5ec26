"""The project's Jupyter kernel: registered for the venv, and a wrong kernel named as such."""

import json
import os
import subprocess
import sys
from pathlib import Path

from stackguard import kernel, locks

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def fake_root(tmp_path: Path, argv0: str | None) -> Path:
    """A project root with a ``.venv/bin`` and, when ``argv0``, a kernel spec running it."""
    root = tmp_path / "project"
    (root / ".venv" / "bin").mkdir(parents=True)
    if argv0 is not None:
        spec = kernel.kernel_spec(root)
        spec.parent.mkdir(parents=True)
        argv = [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec.write_text(json.dumps({"argv": argv, "language": "python"}))
    return root


def test_the_installed_project_registered_its_kernel_on_the_venv():
    ok, detail, fix = kernel.registered_kernel(PROJECT_ROOT)
    assert ok, f"{detail}. Fix: {fix}"
    assert kernel.kernel_spec(PROJECT_ROOT).is_file()


def test_a_missing_or_foreign_kernel_spec_fails_naming_the_fix(tmp_path):
    ok, detail, fix = kernel.registered_kernel(fake_root(tmp_path / "a", None))
    assert not ok and "no Jupyter kernel" in detail and fix.startswith("make install")
    foreign = fake_root(tmp_path / "b", "/usr/bin/python3")
    ok, detail, fix = kernel.registered_kernel(foreign)
    assert not ok
    assert "runs /usr/bin/python3, not the venv's" in detail and str(foreign) in detail
    good = fake_root(tmp_path / "c", "")
    spec = kernel.kernel_spec(good)
    spec.write_text(
        json.dumps({"argv": [str(locks.venv_python(good)), "-m", "ipykernel_launcher"]})
    )
    assert kernel.registered_kernel(good)[0]


def test_a_notebook_on_another_interpreter_stops_naming_both_and_the_fix():
    """A real second interpreter (the venv's base Python) plays the wrong kernel."""
    # Not sys._base_executable: on Python 3.10 in a venv it is the venv's python.
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.base_prefix) / "bin"
    other = str(next(p for p in (base / f"python{version}", base / "python3") if p.exists()))
    assert Path(other).parent.resolve() != locks.venv_python(PROJECT_ROOT).parent.resolve()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from stackguard.kernel import require_project_kernel; require_project_kernel()"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [other, "-c", code, str(PROJECT_ROOT)], capture_output=True, text=True, env=env,
        cwd=PROJECT_ROOT / "notebooks", timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: wrong kernel: this kernel runs ")
    assert str(locks.venv_python(PROJECT_ROOT)) in last and "Change Kernel" in last


def test_the_doctor_inside_a_kernel_reports_the_kernel(tmp_path):
    """With ipykernel imported, the doctor's interpreter check speaks of the kernel."""
    root = fake_root(tmp_path, None)
    code = (
        "import ipykernel, sys; from pathlib import Path; from stackguard import doctor;"
        "print(doctor.check_venv(Path(sys.argv[1]))[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(root)], capture_output=True, text=True, env=env,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"FAIL kernel: this kernel runs {sys.executable}")
    assert str(locks.venv_python(root)) in result.stdout and "Change Kernel" in result.stdout
