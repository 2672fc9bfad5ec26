"""Import smoke test: prove the installed stack is the locked one and the imports work.

Run ``make smoke`` (``python -m stackguard.smoke``). It lives beside the package it tests,
not in it, so it starts when the package cannot import. Checks, one line each:

1. every module of the package imports; a failure names each file, line and statement of
   the traceback inside the project, then the doctor's findings that can cause it;
2. every package pinned in the active lock (``requirements/cpu.txt`` or ``cuda.txt``, plus
   ``dev.txt``) is installed at exactly its pinned version, and the project's Jupyter
   kernel (``make install``) runs the venv's interpreter (``kernel.registered_kernel``);
3. the package's own checks (``check_package``: ``<package>.checks.smoke_checks``) with
   every warning, Keras and TensorFlow deprecations included, raised as an error: the
   user's model builds, one batch comes through each loader (the PyDataset and the
   ``tf.data`` pipeline), a two-epoch training through the training engine with its
   callbacks (``CSVLogger``, ``BackupAndRestore``, ``ModelCheckpoint``, ``TensorBoard``,
   ``EarlyStopping``) writes its record, and the trained model exports to a SavedModel
   whose reloaded ``serve`` endpoint agrees with it;
4. with ``--gpu``: TensorFlow is a CUDA build, a GPU is visible and runs an op
   (``tf.sysconfig.get_build_info``, ``tf.config.list_physical_devices``).

Prints one ``stackguard.result.Result`` line per check (``PASS``/``FAIL``, the doctor's
format) and exits 1 when any check fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

from .doctor import run_doctor
from .kernel import registered_kernel
from .locks import PACKAGE, PROJECT_ROOT, active_locks, check_versions, installed_versions
from .result import Result


def describe_import_error(error: BaseException) -> str:
    """``Type: message``, then every frame of the traceback in the project, outermost first.

    The frames are those of files under the project root outside ``.venv`` (the package's
    modules, a local file shadowing a stack module), as ``file:line: statement``, so the
    failure is located without reading a traceback.
    """
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(PROJECT_ROOT) and not path.is_relative_to(PROJECT_ROOT / ".venv"):
            if path.is_relative_to(Path(__file__).resolve().parent):
                continue
            frames.append(f"{path.relative_to(PROJECT_ROOT)}:{frame.lineno}: {frame.line}")
    where = f" ({' -> '.join(frames)})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def check_imports(package: str) -> list[Result]:
    """Import the package and each of its modules; one check per module."""
    try:
        root = importlib.import_module(package)
    except Exception as error:  # noqa: BLE001 - any failure is the finding
        return [Result.of(f"import {package}", False, describe_import_error(error))]
    checks = [Result.of(f"import {package}", True, "ok")]
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # noqa: BLE001
            checks.append(Result.of(f"import {module.name}", False, describe_import_error(error)))
        else:
            checks.append(Result.of(f"import {module.name}", True, "ok"))
    return checks


# Raised inside Keras's TensorFlow backend (keras/src/backend/tensorflow/core.py,
# convert_to_numpy) under NumPy 2 by TensorFlow's EagerTensor.__array__, not by this
# project's code or by an API it calls; every other warning is an error here.
UPSTREAM_WARNINGS = ("__array__ implementation doesn't accept a copy keyword",)


def explain(error: BaseException) -> str:
    """``Type: message``, with the chained cause (``TBNotInstalledError`` <- ImportError)."""
    text = f"{type(error).__name__}: {error}"
    cause = error.__cause__ or error.__context__
    if cause is not None and isinstance(cause, ImportError):
        text += f" (caused by {type(cause).__name__}: {cause})"
    return text


def strict(name: str, probe: Callable[[], str]) -> Result:
    """Run ``probe`` with every warning raised as an error; its return value is the detail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for message in UPSTREAM_WARNINGS:
                warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
            return Result.of(name, True, probe())
    except Exception as error:  # noqa: BLE001
        return Result.of(name, False, explain(error))


def check_package(package: str = PACKAGE) -> list[Result]:
    """The package's own smoke checks, each with warnings as errors.

    The one entry into the package: ``<package>.checks.smoke_checks(folder)`` returns
    ``(name, probe)`` pairs (the model built, a batch through each loader, a short training
    through the training engine, an export), run here in a temporary folder. The package
    owns the list, so a user extends it there.
    """
    name = f"{package}.checks.smoke_checks"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                probes = importlib.import_module(f"{package}.checks").smoke_checks(Path(tmp))
        except Exception as error:  # noqa: BLE001
            return [Result.of(name, False, explain(error))]
        return [strict(probe_name, probe) for probe_name, probe in probes]


def check_gpu() -> Result:
    """A CUDA build of TensorFlow with at least one visible GPU that runs a matmul."""
    try:
        import tensorflow as tf

        info = tf.sysconfig.get_build_info()
        if not info.get("is_cuda_build"):
            return Result.of("gpu", False, "TensorFlow is not a CUDA build", "make install-cuda")
        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return Result.of(
                "gpu",
                False,
                f"CUDA build (CUDA {info.get('cuda_version')}, cuDNN {info.get('cudnn_version')}) "
                "but no GPU visible: check nvidia-smi, the driver, and that the CUDA lock is "
                "installed (make install-cuda)",
            )
        with tf.device("/GPU:0"):
            product = tf.linalg.matmul(tf.ones((64, 64)), tf.ones((64, 64)))
        if "GPU" not in product.device or float(product[0, 0]) != 64.0:
            return Result.of("gpu", False, f"matmul did not run on the GPU: {product.device}")
        names = ", ".join(gpu.name for gpu in gpus)
        return Result.of(
            "gpu",
            True,
            f"CUDA {info.get('cuda_version')}, cuDNN {info.get('cudnn_version')}, "
            f"{len(gpus)} GPU(s): {names}; matmul ran on {product.device}",
        )
    except Exception as error:  # noqa: BLE001
        return Result.of("gpu", False, f"{type(error).__name__}: {error}")


def run_checks(requirements: Path, gpu: bool = False) -> list[Result]:
    """Every check, printed as it completes; returns them all."""
    checks: list[Result] = []

    def report(new: Iterable[Result]) -> bool:
        new = list(new)
        for check in new:
            print(check, flush=True)
        checks.extend(new)
        return all(check.ok for check in new)

    imports_ok = report(check_imports(PACKAGE))
    if not imports_ok:
        problems = [finding for finding in run_doctor() if finding.status != "PASS"]
        print(f"doctor: {len(problems)} finding(s) that can cause the import failure above")
        for finding in problems:
            print(f"  {finding}")
    installed = installed_versions()
    report([check_versions(active_locks(requirements, installed), installed)])
    report([Result.of("kernel", *registered_kernel())])
    if imports_ok:
        report(check_package())
    if gpu:
        report([check_gpu()])
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import smoke test of the locked stack.")
    parser.add_argument("--gpu", action="store_true", help="also require a CUDA build and a GPU")
    parser.add_argument(
        "--requirements-dir",
        type=Path,
        default=PROJECT_ROOT / "requirements",
        help="folder of the lock files (default: the project's requirements/)",
    )
    args = parser.parse_args(argv)
    checks = run_checks(args.requirements_dir, gpu=args.gpu)
    failed = [check for check in checks if not check.ok]
    print(f"smoke: {len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
