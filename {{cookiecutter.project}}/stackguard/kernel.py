"""The project's Jupyter kernel: the venv, registered as a kernel named after the project.

``make install`` runs ``python -m ipykernel install --sys-prefix --name <project>``, which
writes ``.venv/share/jupyter/kernels/<project>/kernel.json`` (inside the venv: no global
state). Its ``argv[0]`` is the interpreter the kernel runs. Standard library only, so it
runs on any interpreter, a wrong kernel's included.
https://ipython.readthedocs.io/en/stable/install/kernel_install.html
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .locks import PROJECT_ROOT, venv_python

KERNEL_NAME = "{{ cookiecutter.project }}"
FIX_REGISTER = "make install (it registers the kernel)"
FIX_SWITCH = (
    f"in JupyterLab choose Kernel > Change Kernel > {KERNEL_NAME}, or start JupyterLab "
    "with make notebook (VS Code: Select Kernel > Python Environments > .venv)"
)


def kernel_spec(root: Path = PROJECT_ROOT) -> Path:
    """The spec ``make install`` writes: ``.venv/share/jupyter/kernels/<name>/kernel.json``."""
    return root / ".venv" / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json"


def registered_kernel(root: Path = PROJECT_ROOT) -> tuple[bool, str, str]:
    """``(ok, detail, fix)``: the kernel is registered and runs the venv's interpreter.

    Compares the interpreters' folders with symlinks resolved, not the interpreters: a
    venv's ``python`` is a symlink to its base interpreter, which other venvs share.
    """
    spec = kernel_spec(root)
    if not spec.is_file():
        detail = f"no Jupyter kernel {KERNEL_NAME!r} registered in the venv ({spec})"
        return False, detail, FIX_REGISTER
    try:
        argv = json.loads(spec.read_text())["argv"]
        interpreter = Path(argv[0])
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return False, f"{spec} is not a kernel spec ({type(error).__name__}: {error})", FIX_REGISTER
    expected = venv_python(root)
    if interpreter.parent.resolve() != expected.parent.resolve():
        return (
            False,
            f"kernel {KERNEL_NAME!r} runs {interpreter}, not the venv's {expected}",
            FIX_REGISTER,
        )
    return True, f"kernel {KERNEL_NAME!r} runs the venv's {expected}", ""


def running_kernel(
    root: Path = PROJECT_ROOT, prefix: str | None = None, executable: str | None = None
) -> tuple[bool, str, str]:
    """``(ok, detail, fix)``: the running interpreter (a notebook's kernel) is the venv's.

    ``prefix``/``executable`` default to ``sys.prefix``/``sys.executable``.
    """
    prefix = Path(prefix or sys.prefix)
    executable = executable or sys.executable
    venv = root / ".venv"
    if venv.is_dir() and prefix.resolve() == venv.resolve():
        return True, f"running the venv's {venv_python(root)}", ""
    return (
        False,
        f"this kernel runs {executable} (sys.prefix {prefix}), not the project's venv "
        f"interpreter {venv_python(root)}, so it does not see the locked stack",
        FIX_SWITCH if venv.is_dir() else f"make install, then {FIX_SWITCH}",
    )


def require_project_kernel(root: Path = PROJECT_ROOT) -> str:
    """Call first in a notebook: return the venv's interpreter, or raise if the kernel is wrong.

    Raises:
        RuntimeError: the running kernel is not the project's venv; the message names both
            interpreters and the fix.
    """
    ok, detail, fix = running_kernel(root)
    if not ok:
        raise RuntimeError(f"wrong kernel: {detail}. Fix: {fix}")
    return str(venv_python(root))
