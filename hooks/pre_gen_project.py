"""Reject bad answers before cookiecutter writes any file.

Each answer reaches this script as a JSON literal (``| tojson``), so quotes, backslashes
and newlines in it cannot break or inject into the code. On a bad answer it prints one
message naming the field, the value and what is accepted, and exits 1; cookiecutter then
removes the half-made output folder.
"""

import json
import keyword
import re
import sys
import unicodedata

ANSWERS = {
    "project_name": json.loads(r'{{ cookiecutter.project_name | tojson }}'),
    "project": json.loads(r'{{ cookiecutter.project | tojson }}'),
    "package": json.loads(r'{{ cookiecutter.package | tojson }}'),
    "description": json.loads(r'{{ cookiecutter.description | tojson }}'),
    "author_name": json.loads(r'{{ cookiecutter.author_name | tojson }}'),
    "author_email": json.loads(r'{{ cookiecutter.author_email | tojson }}'),
    "python_version": json.loads(r'{{ cookiecutter.python_version | tojson }}'),
}
OFFERED_PYTHONS = json.loads(r'{{ cookiecutter._keras_version | tojson }}')

# {top-level module: [distributions installing it]} for every distribution the shipped
# locks pin, over every offered Python: generated from the locks by `make locks`
# (scripts/stack_modules.py), never edited by hand. A package with one of these names
# shadows the module: `import keras` finds the project instead, which is how "cannot
# import name 'Sequential'" starts.
STACK_MODULES = json.loads(r'{{ cookiecutter._stack_modules | tojson }}')
# The project's own tool folder, at its root and importable from there as `stackguard`.
TOOL_FOLDER = "stackguard"

# PEP 508 distribution name (https://packaging.python.org/en/latest/specifications/name-normalization/)
DISTRIBUTION_NAME = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# The longest project and package names: the generated Python names them in import lines,
# ``python -m`` argument lists and docstrings, each of which must fit ruff's 100 columns and
# keep the layout ruff gives it, so that a fresh project passes its own pre-commit. The
# template's tests bake every length up to this one (tests/test_names.py).
MAX_NAME_LENGTH = 50
# One-line free text, written into README.md, LICENSE and pyproject.toml as given (TOML
# basic strings escape only backslash and '"': a control character there is invalid TOML).
FREE_TEXT = ("project_name", "description", "author_name", "author_email")
# Unicode categories that end a line or are control characters (newline, tab, NUL, ...).
LINE_BREAKING = {"Cc", "Zl", "Zp"}


def free_text_problem(field: str, value: str) -> str | None:
    """Why ``value`` cannot be written into the generated files as one line, or None."""
    if value != value.strip():
        return (
            f"{field} {value!r} starts or ends with whitespace, which the generated files "
            "would carry as trailing whitespace (the pre-commit hook would rewrite them): "
            "remove it."
        )
    breaking = [c for c in value if unicodedata.category(c) in LINE_BREAKING]
    if breaking:
        return (
            f"{field} {value!r} holds a line break or control character ({breaking[0]!r}): "
            "give one line of text."
        )
    return None


def problem(answers: dict) -> str | None:
    """The first bad answer as a one-line message, or None when all are good."""
    project, package = answers["project"], answers["package"]
    if not answers["project_name"].strip():
        return "project_name is empty: give the project a name, e.g. 'Cat Classifier'."
    for field in FREE_TEXT:
        message = free_text_problem(field, answers[field])
        if message:
            return message
    if not answers["author_name"]:
        return "author_name is empty: give the copyright holder's name (it goes into LICENSE)."
    if not DISTRIBUTION_NAME.match(project):
        return (
            f"project {project!r} is not a valid distribution name: use ASCII letters, "
            "digits, '-', '_' and '.', starting and ending with a letter or digit "
            "(e.g. 'cat-classifier')."
        )
    if project != project.lower():
        return (
            f"project {project!r} has upper-case letters: it names the Jupyter kernel, which "
            f"Jupyter registers in lower case, and the container image, which must be lower "
            f"case. Use {project.lower()!r}."
        )
    for field in ("project", "package"):
        if len(answers[field]) > MAX_NAME_LENGTH:
            return (
                f"{field} {answers[field]!r} is {len(answers[field])} characters long: at most "
                f"{MAX_NAME_LENGTH} are accepted (the generated code names it in lines that "
                "must fit 100 columns). Choose a shorter name."
            )
    if not (package.isascii() and package.isidentifier()):
        return (
            f"package {package!r} is not a Python identifier: use ASCII letters, digits "
            "and '_', not starting with a digit (e.g. 'cat_classifier')."
        )
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return f"package {package!r} is a Python keyword: choose another name (e.g. '{package}_project')."
    if package in sys.stdlib_module_names or package in STACK_MODULES:
        if package in sys.stdlib_module_names:
            whose = "of the standard library"
        else:
            whose = f"of the project's stack (installed by {', '.join(STACK_MODULES[package])})"
        return (
            f"package {package!r} would shadow the module {package!r} {whose}: `import "
            f"{package}` would find your package instead (how \"cannot import name "
            f"'Sequential'\" starts). Choose another name, e.g. '{package}_project'."
        )
    if package == TOOL_FOLDER:
        return (
            f"package {package!r} would shadow the project's own tool folder {TOOL_FOLDER}/ "
            f"(importable as `{TOOL_FOLDER}` from the project's root, where make runs it). "
            f"Choose another name, e.g. '{package}_project'."
        )
    if not EMAIL.match(answers["author_email"]):
        return f"author_email {answers['author_email']!r} is not an email address (name@example.com)."
    if answers["python_version"] not in OFFERED_PYTHONS:
        offered = ", ".join(sorted(OFFERED_PYTHONS))
        return (
            f"python_version {answers['python_version']!r} is not offered: TensorFlow 2.21 "
            f"has wheels for {offered}."
        )
    return None


if __name__ == "__main__":
    message = problem(ANSWERS)
    if message:
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)
