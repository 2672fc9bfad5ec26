"""Diagnose why TensorFlow/Keras imports fail: ``make doctor``.

The classic errors (``cannot import name 'Sequence'``, ``cannot import name
'Sequential'``, ``module 'keras.api._v2.keras.utils' has no attribute 'Sequential'``) come
from a short list of causes, each a check here: the wrong interpreter or venv, versions
that differ from the lock or from each other's declared requirements (``pip check``), two
distributions installing one module (``tensorflow`` with ``tensorflow-cpu``), a local file
shadowing ``keras``/``tensorflow``/``tf_keras``, ``TF_USE_LEGACY_KERAS`` or
``KERAS_BACKEND`` asking for what is not installed, what ``tf.keras`` resolves to, the
project's Jupyter kernel and a notebook on the wrong one (run the doctor from a cell, or
call ``stackguard.kernel.require_project_kernel()``), and for the CUDA variant the CUDA
build, NVIDIA libraries and GPUs.

Each check prints ``PASS``, ``WARN`` or ``FAIL``, what it found and, when not PASS, the
command or edit that fixes it; ``--json`` prints the same as JSON. Exits 1 when any check
fails. This module imports only the standard library at load time and asks TensorFlow's
questions of the stack guard's one probe process (``stackguard.stack.Stack``), so it works
when ``import tensorflow`` or ``import keras`` is what fails, or crashes the interpreter.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
from dataclasses import asdict
from pathlib import Path

from . import kernel, locks
from .locks import PROJECT_ROOT
from .result import Result
from .stack import Stack, StackError

STACK_MODULES = ("tensorflow", "keras", "tf_keras")
TRUE = ("1", "true", "yes", "on")
BACKEND_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}


def guarded(check):
    """Turn an exception inside a check into a FAIL finding instead of a crash."""

    def run(*args, **kwargs) -> list[Result]:
        try:
            return check(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - reporting is the point
            name = check.__name__.removeprefix("check_").replace("_", "-")
            return [
                Result(name, "FAIL", f"the check itself failed: {type(error).__name__}: {error}")
            ]

    run.__name__ = check.__name__
    return run


@guarded
def check_python(root: Path = PROJECT_ROOT) -> list[Result]:
    """The interpreter's minor version against the project's ``.python-version``."""
    found = "{}.{}".format(*sys.version_info[:2])
    wanted_file = root / ".python-version"
    if not wanted_file.is_file():
        return [
            Result("python", "WARN", f"Python {found}; no {wanted_file}", "restore .python-version")
        ]
    wanted = wanted_file.read_text().strip()
    if found != wanted:
        return [
            Result(
                "python",
                "FAIL",
                f"running Python {found}, the lock files are for Python {wanted}",
                f"rm -rf .venv && make install   (needs python{wanted} on PATH)",
            )
        ]
    return [Result("python", "PASS", f"Python {found} = .python-version")]


@guarded
def check_venv(root: Path = PROJECT_ROOT) -> list[Result]:
    """Whether the interpreter running is the project's ``.venv``.

    Inside a Jupyter kernel (``ipykernel`` imported), a wrong interpreter is a wrong kernel:
    the finding names the kernel's interpreter, the venv's, and how to switch.
    """
    venv = root / ".venv"
    prefix = Path(sys.prefix).resolve()
    if "ipykernel" in sys.modules:
        ok, found, fix = kernel.running_kernel(root)
        return [Result("kernel", "PASS" if ok else "FAIL", found, fix)]
    if not venv.is_dir():
        return [Result("venv", "FAIL", f"{venv} does not exist", "make install")]
    if prefix != venv.resolve():
        return [
            Result(
                "venv",
                "FAIL",
                f"running {sys.executable}, not the project's {venv}",
                f"run through make (make doctor), or {venv}/bin/python -m {__package__}.doctor",
            )
        ]
    return [Result("venv", "PASS", f"running {venv}")]


@guarded
def check_kernel(root: Path = PROJECT_ROOT) -> list[Result]:
    """Whether the project's Jupyter kernel is registered and runs the venv's interpreter."""
    ok, found, fix = kernel.registered_kernel(root)
    return [Result("kernel-spec", "PASS" if ok else "FAIL", found, fix)]


@guarded
def check_lock(root: Path = PROJECT_ROOT) -> list[Result]:
    """Installed TensorFlow, Keras, tf-keras and every other pin against the active lock."""
    installed = locks.installed_versions()
    lock_files = locks.active_locks(root / "requirements", installed)
    verdict = locks.check_versions(lock_files, installed)
    stack = ", ".join(
        f"{name} {installed.get(name, 'not installed')}"
        for name in ("tensorflow", "keras", "tf-keras")
    )
    if verdict.ok:
        return [Result("lock", "PASS", f"{stack}; {verdict.found}")]
    fix = "make install-cuda" if lock_files[0].name == "cuda.txt" else "make install"
    return [Result("lock", "FAIL", verdict.found, fix)]


@guarded
def check_requirements() -> list[Result]:
    """Installed packages against each other's declared requirements (``pip check``)."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120
    )
    problems = [line for line in result.stdout.splitlines() if line.strip()]
    if result.returncode == 0:
        return [Result("requirements", "PASS", "pip check: no broken requirements")]
    stack = [
        line for line in problems if line.split()[0].lower() in ("tensorflow", "keras", "tf-keras")
    ]
    return [
        Result(
            "requirements",
            "FAIL",
            "; ".join(stack or problems[:5]),
            "make install (reinstalls the lock); for tf-keras, pin tf-keras to TensorFlow's "
            "major.minor or uninstall it",
        )
    ]


@guarded
def check_duplicates() -> list[Result]:
    """Two installed distributions that provide the same top-level stack module."""
    providers = importlib.metadata.packages_distributions()
    findings = []
    for module in (*STACK_MODULES, "numpy"):
        dists = sorted({locks.normalize(d) for d in providers.get(module, [])})
        if len(dists) > 1:
            extra = [d for d in dists if d != module.replace("_", "-")]
            findings.append(
                Result(
                    "duplicates",
                    "FAIL",
                    f"module {module!r} is installed by {len(dists)} distributions: "
                    + ", ".join(dists),
                    f"pip uninstall -y {' '.join(dists)} && make install"
                    if extra
                    else "make install",
                )
            )
    return findings or [Result("duplicates", "PASS", "one distribution per stack module")]


@guarded
def check_shadowing(cwd: Path | None = None) -> list[Result]:
    """A file or folder named like a stack module ahead of site-packages on ``sys.path``."""
    site = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    findings = []
    here = (cwd or Path.cwd()).resolve()
    for module in STACK_MODULES:
        # A folder without __init__.py is only a namespace portion: it does not shadow.
        candidates = [here / f"{module}.py", here / module / "__init__.py"]
        try:
            spec = importlib.util.find_spec(module)
        except Exception as error:  # noqa: BLE001 - a broken spec is a finding
            findings.append(Result("shadowing", "FAIL", f"finding {module!r} failed: {error}", ""))
            continue
        origin = Path(spec.origin).resolve() if spec and spec.origin else None
        if origin is not None and not any(origin.is_relative_to(s) for s in site):
            candidates.insert(0, origin if origin.name != "__init__.py" else origin.parent)
        for path in candidates:
            if path.exists():
                path = path.parent if path.name == "__init__.py" else path
                findings.append(
                    Result(
                        "shadowing",
                        "FAIL",
                        f"{path} shadows the installed {module!r} "
                        f"(`import {module}` finds it first)",
                        f"rename or remove {path} (and any __pycache__ beside it)",
                    )
                )
                break
    return findings or [
        Result("shadowing", "PASS", "keras, tensorflow, tf_keras come from site-packages")
    ]


def keras_config_backend() -> tuple[str | None, Path]:
    """The ``backend`` of Keras's config file (``$KERAS_HOME`` or ``~/.keras``), if any."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    path = home / "keras.json"
    try:
        return json.loads(path.read_text()).get("backend"), path
    except (OSError, ValueError):
        return None, path


@guarded
def check_environment() -> list[Result]:
    """``TF_USE_LEGACY_KERAS`` and ``KERAS_BACKEND`` (or keras.json) against what is installed;
    ``TF_CONFIG`` (a cluster) where training would use ``fit``."""
    installed = locks.installed_versions()
    findings = []
    legacy = os.environ.get("TF_USE_LEGACY_KERAS")
    if legacy is not None and legacy.strip().lower() in TRUE:
        if "tf-keras" not in installed:
            findings.append(
                Result(
                    "environment",
                    "FAIL",
                    f"TF_USE_LEGACY_KERAS={legacy} asks for Keras 2 (tf-keras), "
                    "which is not installed",
                    "unset TF_USE_LEGACY_KERAS (this project uses Keras 3)",
                )
            )
        else:
            findings.append(
                Result(
                    "environment",
                    "WARN",
                    f"TF_USE_LEGACY_KERAS={legacy}: tf.keras is Keras 2 (tf-keras "
                    f"{installed['tf-keras']}), but this project's code is Keras 3",
                    "unset TF_USE_LEGACY_KERAS",
                )
            )
    backend = os.environ.get("KERAS_BACKEND")
    source = "KERAS_BACKEND"
    if backend is None:
        backend, path = keras_config_backend()
        source = str(path)
    if backend is not None:
        package = BACKEND_PACKAGES.get(backend)
        if package is None:
            findings.append(
                Result(
                    "environment",
                    "FAIL",
                    f"{source} selects unknown Keras backend {backend!r}",
                    f"use one of {', '.join(BACKEND_PACKAGES)}; this project needs tensorflow",
                )
            )
        elif package not in installed:
            findings.append(
                Result(
                    "environment",
                    "FAIL",
                    f"{source} selects Keras backend {backend!r} but {package} is not installed",
                    "unset KERAS_BACKEND (or set it to tensorflow)"
                    if source == "KERAS_BACKEND"
                    else f'set "backend": "tensorflow" in {source}',
                )
            )
        elif backend != "tensorflow":
            findings.append(
                Result(
                    "environment",
                    "WARN",
                    f"{source} selects Keras backend {backend!r}; this project's tf.data "
                    "pipeline and tests expect tensorflow",
                    "unset KERAS_BACKEND",
                )
            )
    cluster = os.environ.get("TF_CONFIG")
    if cluster:
        findings.append(
            Result(
                "environment",
                "WARN",
                f"TF_CONFIG is set ({cluster[:120]}): training with Keras 3 model.fit (make train "
                "with --strategy default or mirrored) does not use the cluster, and fit under "
                "MultiWorkerMirroredStrategy fails (keras-team/keras#20585)",
                "train across workers with --strategy multi-worker (make train-cluster on one "
                "machine), or unset TF_CONFIG to train alone",
            )
        )
    return findings or [Result("environment", "PASS", "no legacy Keras, Keras backend tensorflow")]


def probe_tensorflow(timeout: float = 300) -> dict:
    """Ask the stack's probe process (``stackguard.probe``) what the doctor needs of TensorFlow.

    The probe runs with this interpreter in the current folder, as the user's own code
    would. Returns ``probe.tensorflow_report()``'s answer, or ``{"error": ...}`` when
    ``import tensorflow`` raises there, or the process crashes or does not answer in
    ``timeout`` seconds.
    """
    try:
        with Stack(python=Path(sys.executable), timeout=timeout, cwd=Path.cwd()) as stack:
            return stack.tensorflow()
    except StackError as error:
        return {"error": str(error).removesuffix("; run 'make doctor'")}


@guarded
def check_tf_keras(probe: dict) -> list[Result]:
    """What ``tf.keras`` resolves to: Keras 3 is right; tf-keras (legacy) or an error is not."""
    if "error" in probe:
        return [
            Result(
                "tf.keras",
                "FAIL",
                f"import tensorflow failed: {probe['error']}",
                "fix the FAIL lines above (shadowing, duplicates, lock), then make install",
            )
        ]
    if "tf_keras_error" in probe:
        return [
            Result(
                "tf.keras",
                "FAIL",
                probe["tf_keras_error"],
                "fix the shadowing, duplicates, lock or environment FAIL above; then make install",
            )
        ]
    target, version = probe["tf_keras"], probe.get("tf_keras_version")
    if target.startswith("keras.") and str(version).startswith("3."):
        return [Result("tf.keras", "PASS", f"tf.keras.Sequential is {target} (Keras {version})")]
    return [
        Result(
            "tf.keras",
            "WARN",
            f"tf.keras.Sequential is {target} (Keras {version}), not Keras 3",
            "unset TF_USE_LEGACY_KERAS; use `import keras` in code",
        )
    ]


@guarded
def check_tensorboard(probe: dict) -> list[Result]:
    """``tf.summary`` has its TensorBoard implementation (``keras.callbacks.TensorBoard``).

    TF 2.21 no longer depends on ``tensorboard``: without it, ``tf.summary.scalar`` raises
    TBNotInstalledError, so a fit with the TensorBoard callback fails at its first epoch.
    """
    if "error" in probe:
        return [Result("tensorboard", "FAIL", "not checked: import tensorflow failed", "")]
    if "summary_error" in probe:
        return [
            Result(
                "tensorboard",
                "FAIL",
                f"tf.summary.scalar failed: {probe['summary_error']}; "
                "keras.callbacks.TensorBoard will fail at fit time",
                "make install (tensorboard is pinned in the lock; TF 2.21 no longer installs it)",
            )
        ]
    return [
        Result(
            "tensorboard",
            "PASS",
            f"tf.summary writes through tensorboard {probe.get('tensorboard')}",
        )
    ]


@guarded
def check_cuda(probe: dict, root: Path = PROJECT_ROOT) -> list[Result]:
    """For the CUDA variant: CUDA build info, NVIDIA libraries found, GPUs visible."""
    installed = locks.installed_versions()
    lock_files = locks.active_locks(root / "requirements", installed)
    if lock_files[0].name != "cuda.txt":
        return [Result("cuda", "PASS", "CPU variant installed; no CUDA checks")]
    nvidia = sorted(name for name in installed if name.startswith("nvidia-"))
    libs = []
    for entry in sys.path:
        libs.extend(str(p) for p in Path(entry).glob("nvidia/*/lib") if p.is_dir())
    build, gpus = probe.get("build", {}), probe.get("gpus", [])
    found = (
        f"build {build or 'unknown'}; {len(nvidia)} NVIDIA packages, {len(libs)} library "
        f"folders; GPUs: {', '.join(gpus) or 'none'}"
    )
    if build.get("is_cuda_build") != "True":
        return [Result("cuda", "FAIL", found, "make install-cuda (TensorFlow is not a CUDA build)")]
    if not libs:
        return [
            Result(
                "cuda", "FAIL", found, "make install-cuda (the nvidia-*-cu12 wheels are missing)"
            )
        ]
    if not gpus:
        return [
            Result(
                "cuda", "WARN", found, "check nvidia-smi and the NVIDIA driver (>= 525 for CUDA 12)"
            )
        ]
    return [Result("cuda", "PASS", found)]


def run_doctor(root: Path = PROJECT_ROOT, probe_tf: bool = True) -> list[Result]:
    """Every check, in order; never raises."""
    findings = [
        *check_python(root),
        *check_venv(root),
        *check_kernel(root),
        *check_lock(root),
        *check_requirements(),
        *check_duplicates(),
        *check_shadowing(),
        *check_environment(),
    ]
    if probe_tf:
        probe = probe_tensorflow()
        findings += [*check_tf_keras(probe), *check_tensorboard(probe), *check_cuda(probe, root)]
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Diagnose the TensorFlow/Keras environment.")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    findings = run_doctor()
    if args.json:
        print(json.dumps([asdict(finding) for finding in findings], indent=2))
    else:
        for finding in findings:
            print(finding)
    return 1 if any(finding.status == "FAIL" for finding in findings) else 0


if __name__ == "__main__":
    sys.exit(main())
