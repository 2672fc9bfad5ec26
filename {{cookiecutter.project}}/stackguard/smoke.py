"""Import smoke test: prove the installed stack is the locked one and the imports work.

Run ``make smoke`` (``python -m {{ cookiecutter.package }}.smoke``). Checks, one line each:

1. every module of the package imports (a failure names the file, line and statement);
2. every package pinned in the active lock (``requirements/cpu.txt`` or ``cuda.txt``, plus
   ``dev.txt``) is installed at exactly its pinned version;
3. the model builds, and one batch comes through each loader (the PyDataset and the
   ``tf.data`` pipeline) with every warning, Keras and TensorFlow deprecations included,
   raised as an error;
4. with ``--gpu``: TensorFlow is a CUDA build, a GPU is visible and runs an op
   (``tf.sysconfig.get_build_info``, ``tf.config.list_physical_devices``).

Prints ``PASS``/``FAIL`` lines and exits 1 when any check fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import pkgutil
import re
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = __package__
PROJECT_ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


@dataclass
class Check:
    """One result line: ``PASS name: detail`` or ``FAIL name: detail. Fix: fix``."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        line = f"{'PASS' if self.ok else 'FAIL'} {self.name}: {self.detail}"
        return f"{line}. Fix: {self.fix}" if self.fix else line


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name (``Typing_Extensions`` -> ``typing-extensions``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(lock_file: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the ``name==version`` lines of a pip-compile lock."""
    pins = {}
    for line in lock_file.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[normalize(match.group(1))] = match.group(2)
    return pins


def installed_versions() -> dict[str, str]:
    """``{normalized name: version}`` of the distributions importable by this interpreter."""
    return {
        normalize(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    }


def active_locks(requirements: Path, installed: dict[str, str]) -> list[Path]:
    """The lock files this environment was installed from: CPU or CUDA, plus dev.

    The CUDA lock is active when any package that only it pins (the NVIDIA wheels) is
    installed.
    """
    cpu, cuda = requirements / "cpu.txt", requirements / "cuda.txt"
    variant = cpu
    if cuda.exists() and cpu.exists():
        cuda_only = set(read_pins(cuda)) - set(read_pins(cpu))
        if cuda_only & set(installed):
            variant = cuda
    return [variant, requirements / "dev.txt"]


def check_versions(lock_files: Iterable[Path], installed: dict[str, str]) -> Check:
    """Compare every pin of ``lock_files`` with the installed versions; name each mismatch."""
    lock_files = list(lock_files)
    names = " + ".join(str(p) for p in lock_files)
    missing_files = [str(p) for p in lock_files if not p.is_file()]
    if missing_files:
        return Check("versions", False, f"lock file not found: {', '.join(missing_files)}")
    pins: dict[str, str] = {}
    for lock_file in lock_files:
        pins.update(read_pins(lock_file))
    problems = []
    for name, pinned in sorted(pins.items()):
        found = installed.get(name)
        if found is None:
            problems.append(f"{name} not installed (locked {pinned})")
        elif found != pinned:
            problems.append(f"{name} installed {found}, locked {pinned}")
    if problems:
        return Check("versions", False, "; ".join(problems), "make install (or make install-cuda)")
    return Check("versions", True, f"{len(pins)} packages match {names}")


def describe_import_error(error: BaseException, package_dir: Path) -> str:
    """``Type: message (file:line: statement)``, the frame being the deepest in the package."""
    where = ""
    for frame in traceback.extract_tb(error.__traceback__):
        if Path(frame.filename).resolve().is_relative_to(package_dir):
            where = f" ({frame.filename}:{frame.lineno}: {frame.line})"
    return f"{type(error).__name__}: {error}{where}"


def check_imports(package: str) -> list[Check]:
    """Import the package and each of its modules; one check per module."""
    try:
        root = importlib.import_module(package)
    except Exception as error:  # noqa: BLE001 - any failure is the finding
        return [Check(f"import {package}", False, str(error))]
    package_dir = Path(root.__file__).resolve().parent
    checks = [Check(f"import {package}", True, "ok")]
    for module in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        try:
            importlib.import_module(module.name)
        except Exception as error:  # noqa: BLE001
            checks.append(
                Check(f"import {module.name}", False, describe_import_error(error, package_dir))
            )
        else:
            checks.append(Check(f"import {module.name}", True, "ok"))
    return checks


def strict(name: str, probe: Callable[[], str]) -> Check:
    """Run ``probe`` with every warning raised as an error; its return value is the detail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return Check(name, True, probe())
    except Exception as error:  # noqa: BLE001
        return Check(name, False, f"{type(error).__name__}: {error}")


def check_model_and_loaders(image_size: int = 32) -> list[Check]:
    """Build the model and pull one batch through each loader, warnings as errors."""
    from .data import ImageFolderPyDataset, list_image_folder
    from .demo_data import write_demo_dataset
    from .model import build_model
    from .pipeline import make_dataset

    def model_probe() -> str:
        model = build_model((image_size, image_size), num_classes=3)
        return f"{type(model).__name__} {model.input_shape} -> {model.output_shape}"

    def describe(x, y) -> str:
        return (
            f"x {x.dtype} {tuple(x.shape)} in [{float(x.min()):.2f}, {float(x.max()):.2f}], "
            f"y {y.dtype} {tuple(y.shape)}"
        )

    with tempfile.TemporaryDirectory() as tmp:
        paths, labels, _ = list_image_folder(write_demo_dataset(tmp, 2, image_size))
        size = (image_size, image_size)

        def sequence_probe() -> str:
            return describe(*ImageFolderPyDataset(paths, labels, batch_size=4, image_size=size)[0])

        def tf_data_probe() -> str:
            x, y = next(iter(make_dataset(paths, labels, batch_size=4, image_size=size)))
            return describe(x.numpy(), y.numpy())

        return [
            strict("model", model_probe),
            strict("loader sequence", sequence_probe),
            strict("loader tf-data", tf_data_probe),
        ]


def check_gpu() -> Check:
    """A CUDA build of TensorFlow with at least one visible GPU that runs a matmul."""
    try:
        import tensorflow as tf

        info = tf.sysconfig.get_build_info()
        if not info.get("is_cuda_build"):
            return Check("gpu", False, "TensorFlow is not a CUDA build", "make install-cuda")
        gpus = tf.config.list_physical_devices("GPU")
        if not gpus:
            return Check(
                "gpu",
                False,
                f"CUDA build (CUDA {info.get('cuda_version')}, cuDNN {info.get('cudnn_version')}) "
                "but no GPU visible: check nvidia-smi, the driver, and that the CUDA lock is "
                "installed (make install-cuda)",
            )
        with tf.device("/GPU:0"):
            product = tf.linalg.matmul(tf.ones((64, 64)), tf.ones((64, 64)))
        if "GPU" not in product.device or float(product[0, 0]) != 64.0:
            return Check("gpu", False, f"matmul did not run on the GPU: {product.device}")
        names = ", ".join(gpu.name for gpu in gpus)
        return Check(
            "gpu",
            True,
            f"CUDA {info.get('cuda_version')}, cuDNN {info.get('cudnn_version')}, "
            f"{len(gpus)} GPU(s): {names}; matmul ran on {product.device}",
        )
    except Exception as error:  # noqa: BLE001
        return Check("gpu", False, f"{type(error).__name__}: {error}")


def run_checks(requirements: Path, gpu: bool = False) -> list[Check]:
    """Every check, printed as it completes; returns them all."""
    checks: list[Check] = []

    def report(new: Iterable[Check]) -> bool:
        new = list(new)
        for check in new:
            print(check, flush=True)
        checks.extend(new)
        return all(check.ok for check in new)

    imports_ok = report(check_imports(PACKAGE))
    if not imports_ok:
        from .doctor import run_doctor

        problems = [finding for finding in run_doctor() if finding.status != "PASS"]
        print(f"doctor: {len(problems)} finding(s) that can cause the import failure above")
        for finding in problems:
            print(f"  {finding}".replace("\n", "\n  "))
    installed = installed_versions()
    report([check_versions(active_locks(requirements, installed), installed)])
    if imports_ok:
        report(check_model_and_loaders())
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
