"""Keep the files of the chosen options, drop the rest, and print the next steps.

Every choice-dependent file is named in ``KEEP`` and ``DROP`` below; no other file of the
template branches on these choices in Jinja. Answers arrive as JSON literals
(``| tojson``) so that no value can break this script.
"""

import json
import shutil
import subprocess
from pathlib import Path

PROJECT = json.loads(r'{{ cookiecutter.project | tojson }}')
LICENSE = json.loads(r'{{ cookiecutter.license | tojson }}')
CI = json.loads(r'{{ cookiecutter.ci | tojson }}')
PYTHON = json.loads(r'{{ cookiecutter.python_version | tojson }}')
GIT_INIT = json.loads(r'{{ cookiecutter.git_init | tojson }}')
EXAMPLE = json.loads(r'{{ cookiecutter.example | tojson }}')
PACKAGE = json.loads(r'{{ cookiecutter.package | tojson }}')

# The table example's files lie under examples/table/ at the paths they take in the project,
# over the image example's; these are the image example's files it has no use for.
EXAMPLES = "examples"
IMAGE_ONLY = [
    f"src/{PACKAGE}/backbones.py",
    *[f"src/{PACKAGE}/data/{name}.py" for name in ("images", "pydataset", "pipeline")],
    *[
        f"tests/test_{name}.py"
        for name in (
            "backbones", "config", "data", "data_check", "engine", "evaluate", "export",
            "images", "model", "multi_worker", "pipeline", "predict", "train", "workflow",
        )
    ],
]

# (source, destination): the chosen option's file moves into place.
KEEP = [
    *[(f"requirements/py{PYTHON}/{lock}", f"requirements/{lock}") for lock in ("cpu.txt", "cuda.txt", "dev.txt")],
    (f"licenses/{LICENSE}", "LICENSE"),
]
# Paths removed after the moves: every other option's files.
DROP = {
    "always": ["licenses", *[str(p) for p in Path("requirements").glob("py3.*")]],
    "ci": {
        "github": [".gitlab-ci.yml"],
        "gitlab": [".github"],
        "none": [".github", ".gitlab-ci.yml"],
    }[CI],
    "example": {"images": [EXAMPLES], "table": [*IMAGE_ONLY, EXAMPLES]}[EXAMPLE],
}


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def git_init() -> None:
    """``git init`` and stage every file, so pre-commit sees them; warn if git is missing."""
    try:
        subprocess.run(["git", "init", "--quiet"], check=True)
        subprocess.run(["git", "add", "--all"], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"warning: git init failed ({error}); run 'git init' yourself, then 'make install'.")


def main() -> None:
    missing = [source for source, _ in KEEP if not Path(source).exists()]
    if missing:
        raise SystemExit(
            f"error: the template ships no {', '.join(missing)}; "
            "its maintainers run 'make locks' at the template root to make them."
        )
    for source, destination in KEEP:
        Path(source).replace(destination)
    if EXAMPLE != "images":
        chosen = Path(EXAMPLES) / EXAMPLE
        for source in sorted(p for p in chosen.rglob("*") if p.is_file()):
            source.replace(source.relative_to(chosen))
    for path in [*DROP["always"], *DROP["ci"], *DROP["example"]]:
        remove(Path(path))
    if GIT_INIT:
        git_init()
    print(
        f"\nBaked {PROJECT} (Python {PYTHON}, CI: {CI}, example: {EXAMPLE}). Next steps:\n"
        f"  cd {PROJECT}\n"
        "  make install      # .venv from the hash-pinned CPU lock (make install-cuda for GPUs)\n"
        "  make smoke        # import smoke test of the locked stack\n"
        "  make test\n"
        "  make data && make train EPOCHS=5   # the demo data, then train (dataset.py, model.py)\n"
        "  make image && make image-smoke     # the same stack in a container image (Dockerfile)\n"
    )


if __name__ == "__main__":
    main()
