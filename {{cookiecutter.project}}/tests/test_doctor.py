"""The doctor: each cause of the classic import errors, reproduced for real."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stackguard import doctor, locks, result

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = locks.PACKAGE


def run_module(module: str, cwd: Path, env: dict | None = None, python: str = sys.executable):
    """``python -m stackguard.module`` in ``cwd``, with the guard and the package importable."""
    path = os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "src")])
    environment = {**os.environ, "PYTHONPATH": path, **(env or {})}
    return subprocess.run(
        [python, "-m", f"stackguard.{module}"],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def statuses(findings) -> dict[str, str]:
    return {f.check: f.status for f in findings}


def test_doctor_passes_on_the_installed_project(capsys):
    assert doctor.main([]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "PASS tf.keras: tf.keras.Sequential is keras." in out


def test_json_output_has_every_check(capsys):
    doctor.main(["--json"])
    findings = json.loads(capsys.readouterr().out)
    checks = {finding["check"] for finding in findings}
    assert checks >= {"python", "venv", "lock", "requirements", "duplicates", "shadowing"}
    assert checks >= {"environment", "tf.keras", "cuda"}
    assert all(set(f) == {"check", "status", "found", "fix"} for f in findings)


def test_wrong_python_version_is_named_with_the_fix(tmp_path):
    (tmp_path / ".python-version").write_text("3.99\n")
    [finding] = doctor.check_python(tmp_path)
    assert finding.status == "FAIL"
    assert "the lock files are for Python 3.99" in finding.found
    assert finding.fix.startswith("rm -rf .venv && make install")


def test_missing_venv_is_named_with_the_fix(tmp_path):
    [finding] = doctor.check_venv(tmp_path)
    assert (finding.status, finding.fix) == ("FAIL", "make install")
    assert str(tmp_path / ".venv") in finding.found


@pytest.mark.parametrize("layout", ["keras.py", "keras/__init__.py"])
def test_a_local_keras_shadowing_site_packages_is_named(tmp_path, layout):
    (tmp_path / layout).parent.mkdir(exist_ok=True)
    (tmp_path / layout).write_text("")
    findings = doctor.check_shadowing(cwd=tmp_path)
    shadow = Path(tmp_path / layout)
    shadow = shadow.parent if shadow.name == "__init__.py" else shadow
    assert [(f.status, str(shadow) in f.found) for f in findings] == [("FAIL", True)]
    assert findings[0].fix.startswith(f"rename or remove {shadow}")


def test_doctor_and_smoke_still_report_when_import_keras_fails(tmp_path):
    """A keras.py in the working folder breaks `import keras`; both tools still run."""
    (tmp_path / "keras.py").write_text("raise ImportError('this is not Keras')\n")
    result = run_module("doctor", tmp_path)
    assert result.returncode == 1, result.stderr
    assert f"FAIL shadowing: {tmp_path / 'keras.py'} shadows the installed 'keras'" in result.stdout
    assert "FAIL tf.keras: ImportError: Keras cannot be imported" in result.stdout
    smoke = run_module("smoke", tmp_path)
    assert smoke.returncode == 1
    assert f"FAIL import {PACKAGE}.artifacts: ImportError: this is not Keras" in smoke.stdout
    assert "doctor:" in smoke.stdout and "FAIL shadowing:" in smoke.stdout


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("raise RuntimeError('broken build')", "RuntimeError: broken build"),
        ("import os; os.abort()", "the probe of the installed stack"),
    ],
)
def test_an_import_tensorflow_that_raises_or_crashes_is_a_fail_with_its_reason(
    tmp_path, body, reason
):
    """The doctor's TensorFlow questions go to the one probe process; when ``import
    tensorflow`` raises there, or kills it, the doctor still ends with FAIL lines."""
    (tmp_path / "tensorflow.py").write_text(body + "\n")
    run = run_module("doctor", tmp_path)
    assert run.returncode == 1 and "Traceback" not in run.stdout, run.stdout + run.stderr
    lines = {r.check: r for r in map(result.parse, run.stdout.splitlines()) if r}
    assert lines["tf.keras"].status == "FAIL"
    assert lines["tf.keras"].found.startswith("import tensorflow failed: "), lines["tf.keras"]
    assert reason in lines["tf.keras"].found
    assert lines["tensorboard"].status == "FAIL" and lines["shadowing"].status == "FAIL"


def test_every_printed_line_is_one_result_that_parses_back(capsys):
    """Doctor and smoke print one format: ``STATUS check: found[; fix: fix]``."""
    findings = doctor.run_doctor(probe_tf=False)
    findings.append(result.Result("lock", "FAIL", "keras installed 3.14.0", "make install"))
    for finding in findings:
        assert result.parse(str(finding)) == finding
    assert str(findings[-1]) == "FAIL lock: keras installed 3.14.0; fix: make install"
    assert result.parse("not a result line") is None
    with pytest.raises(ValueError, match="status 'OK'"):
        result.Result("lock", "OK", "")


def test_legacy_keras_without_tf_keras_is_a_failure(monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    [finding] = doctor.check_environment()
    assert finding.status == "FAIL" and "tf-keras" in finding.found
    assert finding.fix == "unset TF_USE_LEGACY_KERAS (this project uses Keras 3)"


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_keras_backend_that_is_not_installed_is_a_failure(monkeypatch, backend):
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    monkeypatch.setenv("KERAS_BACKEND", backend)
    [finding] = doctor.check_environment()
    assert finding.status == "FAIL"
    assert f"Keras backend {backend!r} but {backend} is not installed" in finding.found
    assert finding.fix.startswith("unset KERAS_BACKEND")


def test_a_tf_config_cluster_warns_that_fit_will_not_use_it(monkeypatch):
    for name in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    cluster = {
        "cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]},
        "task": {"type": "worker", "index": 0},
    }
    monkeypatch.setenv("TF_CONFIG", json.dumps(cluster))
    [finding] = doctor.check_environment()
    assert finding.status == "WARN"
    assert "TF_CONFIG is set" in finding.found and "keras-team/keras#20585" in finding.found
    assert "--strategy multi-worker" in finding.fix and "make train-cluster" in finding.fix
    monkeypatch.delenv("TF_CONFIG")
    assert doctor.check_environment()[0].status == "PASS"


def test_a_keras_json_backend_is_checked_too(monkeypatch, tmp_path):
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "jax"}))
    [finding] = doctor.check_environment()
    assert finding.status == "FAIL" and str(tmp_path / "keras.json") in finding.found


def test_the_environment_variables_reach_tensorflow_for_real(tmp_path):
    """End to end: the doctor's verdict on KERAS_BACKEND=jax, in a fresh process."""
    result = run_module("doctor", PROJECT_ROOT, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 1
    assert "FAIL environment: KERAS_BACKEND selects Keras backend 'jax'" in result.stdout


@pytest.fixture(scope="module")
def scratch_venv(tmp_path_factory) -> Path:
    """A scratch venv with the CPU lock installed (hash-checked, by uv)."""
    venv = tmp_path_factory.mktemp("scratch") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    uv = Path(sys.executable).parent / "uv"
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
        + ["--require-hashes", "-r", str(PROJECT_ROOT / "requirements" / "cpu.txt")],
        check=True,
    )
    return venv


def uv_install(venv: Path, *requirements: str) -> None:
    uv = Path(sys.executable).parent / "uv"
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--no-deps"]
        + ["--python", str(venv / "bin" / "python"), *requirements],
        check=True,
    )


def doctor_in(venv: Path) -> subprocess.CompletedProcess:
    return run_module("doctor", PROJECT_ROOT, python=str(venv / "bin" / "python"))


@pytest.mark.slow
def test_scratch_venv_with_wrong_versions_duplicates_and_broken_requirements(scratch_venv):
    """Install what users end up with by accident; the doctor names each cause and fix."""
    first = doctor_in(scratch_venv)
    assert "FAIL venv: running" in first.stdout  # not the project's .venv
    assert "PASS duplicates:" in first.stdout and "PASS requirements:" in first.stdout

    locked = locks.read_pins(PROJECT_ROOT / "requirements" / "cpu.txt")["keras"]
    other = "3.12.3" if locked.startswith("3.12.") else "3.14.0"
    uv_install(scratch_venv, f"keras=={other}")
    result = doctor_in(scratch_venv)
    [lock_line] = [line for line in result.stdout.splitlines() if line.startswith("FAIL lock:")]
    assert f"keras installed {other}, locked {locked}" in lock_line
    assert "fix: make install" in result.stdout

    uv_install(scratch_venv, "tensorflow-cpu==2.21.0")
    result = doctor_in(scratch_venv)
    assert (
        "FAIL duplicates: module 'tensorflow' is installed by 2 distributions: "
        "tensorflow, tensorflow-cpu" in result.stdout
    )
    assert "fix: pip uninstall -y tensorflow tensorflow-cpu && make install" in result.stdout

    uv_install(scratch_venv, "tf-keras==2.20.1")
    result = doctor_in(scratch_venv)
    assert "FAIL requirements: tf-keras 2.20.1 has requirement tensorflow" in result.stdout
    assert result.returncode == 1
