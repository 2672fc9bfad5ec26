"""Rewrite legacy Keras import paths to their Keras 3 homes: ``make fix-imports``.

``python -m {{ cookiecutter.package }}.fix_imports [--check] PATH...`` rewrites, in place, the
import paths of old TensorFlow/Keras tutorials that have a one-to-one Keras 3
replacement (``from tensorflow.keras.models import Sequential`` to ``from keras.models
import Sequential``, ``keras.layers.core`` to ``keras.layers``,
``keras.utils.np_utils.to_categorical`` to ``keras.utils.to_categorical``, ...), following
https://keras.io/guides/migrating_to_keras_3/. It edits the concrete syntax tree with
libcst, so comments and formatting are kept. Dead paths without a one-to-one replacement
(``ImageDataGenerator``, ``keras.wrappers.scikit_learn``, removed backend functions) are
reported with file, line and advice, never guessed. ``--check`` reports without writing.
Files that do not parse are reported and left untouched.

Exit status: 0 when nothing is left to do; 1 when ``--check`` found changes to make, or
any path needs a manual fix, or a file could not be parsed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

# Dead module -> its Keras 3 home, where the members keep their names. Applied by longest
# prefix, repeatedly (tensorflow.keras.layers.experimental -> keras.layers.experimental
# -> keras.layers).
MODULE_MOVES = {
    "tensorflow.keras": "keras",
    "tensorflow.python.keras": "keras",
    "keras.api._v2.keras": "keras",
    "keras.api._v1.keras": "keras",
    "keras.layers.core": "keras.layers",
    "keras.layers.convolutional": "keras.layers",
    "keras.layers.normalization": "keras.layers",
    "keras.layers.pooling": "keras.layers",
    "keras.layers.recurrent": "keras.layers",
    "keras.layers.merge": "keras.layers",
    "keras.layers.embeddings": "keras.layers",
    "keras.layers.advanced_activations": "keras.layers",
    "keras.layers.experimental.preprocessing": "keras.layers",
    "keras.layers.experimental": "keras.layers",
    "keras.utils.np_utils": "keras.utils",
    "keras.utils.data_utils": "keras.utils",
    "keras.utils.vis_utils": "keras.utils",
    "keras.optimizers.experimental": "keras.optimizers",
    "keras.optimizers.legacy": "keras.optimizers",
}
# (module, member) -> (module, member): members that moved to another module.
MEMBER_MOVES = {
    ("keras.utils", "Sequential"): ("keras", "Sequential"),
    ("keras.engine.training", "Model"): ("keras", "Model"),
    ("keras.engine.sequential", "Sequential"): ("keras", "Sequential"),
    ("keras.engine.functional", "Functional"): ("keras", "Model"),
    ("keras.engine.input_layer", "Input"): ("keras", "Input"),
    ("keras.engine.input_layer", "InputLayer"): ("keras.layers", "InputLayer"),
    ("keras.engine.base_layer", "Layer"): ("keras.layers", "Layer"),
    ("keras.engine", "Layer"): ("keras.layers", "Layer"),
    ("keras.utils.generic_utils", "register_keras_serializable"): (
        "keras.saving",
        "register_keras_serializable",
    ),
    ("keras.utils.generic_utils", "get_custom_objects"): ("keras.saving", "get_custom_objects"),
    ("keras.utils.generic_utils", "CustomObjectScope"): ("keras.saving", "CustomObjectScope"),
    ("keras.utils.generic_utils", "custom_object_scope"): ("keras.saving", "custom_object_scope"),
    ("keras.utils.generic_utils", "Progbar"): ("keras.utils", "Progbar"),
    ("keras.preprocessing.image", "load_img"): ("keras.utils", "load_img"),
    ("keras.preprocessing.image", "img_to_array"): ("keras.utils", "img_to_array"),
    ("keras.preprocessing.image", "array_to_img"): ("keras.utils", "array_to_img"),
    ("keras.preprocessing.image", "save_img"): ("keras.utils", "save_img"),
    ("keras.preprocessing.sequence", "pad_sequences"): ("keras.utils", "pad_sequences"),
    ("keras.preprocessing", "image_dataset_from_directory"): (
        "keras.utils",
        "image_dataset_from_directory",
    ),
    ("keras.preprocessing", "text_dataset_from_directory"): (
        "keras.utils",
        "text_dataset_from_directory",
    ),
    ("keras.preprocessing", "timeseries_dataset_from_array"): (
        "keras.utils",
        "timeseries_dataset_from_array",
    ),
}
# Dead paths (module prefixes or module.member) with no one-to-one replacement.
NO_REPLACEMENT = {
    "keras.preprocessing.image.ImageDataGenerator": (
        "use keras.utils.image_dataset_from_directory and keras.layers.Random* augmentation"
    ),
    "keras.preprocessing.image": "use keras.utils.load_img / image_dataset_from_directory",
    "keras.preprocessing.text": "use keras.layers.TextVectorization",
    "keras.preprocessing.sequence": "use keras.utils.pad_sequences or tf.data",
    "keras.wrappers.scikit_learn": "use keras.wrappers.SKLearnClassifier / SKLearnRegressor",
    "keras.mixed_precision.experimental": "use keras.mixed_precision.set_global_policy",
    "keras.saving.hdf5_format": "use keras.saving.load_model and model.save",
    "keras.engine": "use keras.Model, keras.layers.Layer, keras.Input",
    "keras.utils.generic_utils": "use keras.saving.register_keras_serializable / keras.utils",
    "keras.utils.layer_utils": "use model.summary() or keras.utils",
    "keras.api": "import from keras (Keras 3 has no keras.api._v2)",
    "keras.src.legacy": "keras.src is private: import from keras",
    **{
        f"keras.backend.{name}": "removed in Keras 3: use keras.ops, keras.Variable, v.assign, "
        "keras.Input or training=..."
        for name in (
            "get_session",
            "set_session",
            "eval",
            "get_value",
            "set_value",
            "batch_get_value",
            "batch_set_value",
            "function",
            "placeholder",
            "variable",
            "int_shape",
            "learning_phase",
            "set_learning_phase",
        )
    },  # fmt: skip
}
MAX_STEPS = 8


def move(module: str, member: str | None = None) -> tuple[str, str | None]:
    """Apply MODULE_MOVES and MEMBER_MOVES until nothing changes; returns the new path."""
    for _ in range(MAX_STEPS):
        before = (module, member)
        for old in sorted(MODULE_MOVES, key=len, reverse=True):
            new = MODULE_MOVES[old]
            if module == old or module.startswith(old + "."):
                module = new + module[len(old) :]
                break
        if member is not None and (module, member) in MEMBER_MOVES:
            module, member = MEMBER_MOVES[(module, member)]
        if (module, member) == before:
            break
    return module, member


def advice_for(path: str) -> str | None:
    """The NO_REPLACEMENT advice for a dotted path or one of its prefixes, if any."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        advice = NO_REPLACEMENT.get(".".join(parts[:end]))
        if advice:
            return advice
    return None


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


@dataclass
class Change:
    """One rewrite (``new`` set) or one path needing a manual fix (``advice`` set)."""

    path: Path
    line: int
    old: str
    new: str | None = None
    advice: str | None = None

    def __str__(self) -> str:
        if self.new is not None:
            return f"{self.path}:{self.line}: {self.old} -> {self.new}"
        return (
            f"{self.path}:{self.line}: {self.old}: no one-to-one Keras 3 replacement; {self.advice}"
        )


class LegacyImportRewriter(cst.CSTTransformer):
    """Rewrites legacy import statements and ``keras.``-rooted attribute chains."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.changes: list[Change] = []

    def line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def note(self, node, old, new=None, advice=None) -> None:
        self.changes.append(Change(self.path, self.line(node), old, new, advice))

    # An import's dotted names are rewritten by leave_Import/leave_ImportFrom as a whole,
    # so leave_Attribute must not see them: do not visit an import's children.
    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
        if (
            original.relative
            or original.module is None
            or isinstance(original.names, cst.ImportStar)
        ):
            module = dotted(original.module) if original.module is not None else None
            if module and not original.relative and move(module)[0] != module:
                self.note(original, f"from {module} import *", advice="import the names one by one")
            return updated
        module = dotted(original.module)
        names = [alias for alias in original.names if isinstance(alias.name, cst.Name)]
        # `from tensorflow import keras [as k]` -> `import keras [as k]`
        if module == "tensorflow" and [a.name.value for a in names] == ["keras"]:
            alias = names[0]
            as_name = alias.asname.name.value if alias.asname else None
            new = "import keras" + (f" as {as_name}" if as_name and as_name != "keras" else "")
            self.note(original, "from tensorflow import keras", new)
            return cst.Import(names=[cst.ImportAlias(name=cst.Name("keras"), asname=alias.asname)])
        moved = {alias.name.value: move(module, alias.name.value) for alias in names}
        new_modules = {new_module for new_module, _ in moved.values()}
        dead = [
            f"{module}.{name}"
            for name, target in moved.items()
            if target == (module, name)
            and (
                advice_for(f"{module}.{name}") or move(f"{module}.{name}")[0] != f"{module}.{name}"
            )
        ]
        if dead:
            for path in dead:
                advice = advice_for(path) or f"import its members from {move(path)[0]}"
                self.note(original, path, advice=advice)
            return updated
        if len(new_modules) != 1:
            self.note(
                original,
                f"from {module} import ...",
                advice=f"split the import: its names now live in {', '.join(sorted(new_modules))}",
            )
            return updated
        new_module = new_modules.pop()
        new_aliases = []
        for alias in updated.names:
            _, new_name = moved[alias.name.value]
            new_aliases.append(alias.with_changes(name=cst.Name(new_name)))
        old_names = [alias.name.value for alias in names]
        new_names = [alias.name.value for alias in new_aliases]
        if new_module == module and new_names == old_names:
            return updated
        self.note(
            original,
            f"from {module} import {', '.join(old_names)}",
            f"from {new_module} import {', '.join(new_names)}",
        )
        return updated.with_changes(module=cst.parse_expression(new_module), names=new_aliases)

    def leave_Import(self, original: cst.Import, updated: cst.Import):
        new_aliases = []
        for alias, new_alias in zip(original.names, updated.names, strict=True):
            module = dotted(alias.name)
            new_module, _ = move(module)
            if new_module == module:
                advice = advice_for(module)
                if advice:
                    self.note(original, f"import {module}", advice=advice)
                new_aliases.append(new_alias)
            elif alias.asname is None and module.split(".")[0] != new_module.split(".")[0]:
                # `import tensorflow.keras` binds `tensorflow`; its uses are not ours to move.
                self.note(original, f"import {module}", advice=f"use `import {new_module}`")
                new_aliases.append(new_alias)
            else:
                self.note(original, f"import {module}", f"import {new_module}")
                new_aliases.append(new_alias.with_changes(name=cst.parse_expression(new_module)))
        return updated.with_changes(names=new_aliases)

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute):
        path = dotted(original)
        if path is None or not path.startswith("keras."):
            return updated
        module, member = path.rpartition(".")[0], original.attr.value
        new_module, new_member = move(module, member)
        if (new_module, new_member) == (module, member):
            advice = advice_for(path)
            if advice:
                self.note(original, path, advice=advice)
            return updated
        new = f"{new_module}.{new_member}"
        self.note(original, path, new)
        return cst.parse_expression(new)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        # Rewrite the longest chain only: keras.utils.np_utils.to_categorical as one.
        return dotted(node) is None


def fix_source(source: str, path: Path) -> tuple[str, list[Change]]:
    """Rewrite ``source``; returns ``(new source, changes and manual fixes)``.

    Raises:
        libcst.ParserSyntaxError: ``source`` is not valid Python.
    """
    wrapper = MetadataWrapper(cst.parse_module(source))
    rewriter = LegacyImportRewriter(path)
    module = wrapper.visit(rewriter)
    changes = sorted(rewriter.changes, key=lambda change: change.line)
    return module.code, changes


def python_files(paths: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.py")) if ".venv" not in p.parts)
        else:
            files.append(path)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite legacy Keras imports to Keras 3.")
    parser.add_argument("paths", nargs="+", help="Python files or folders")
    parser.add_argument("--check", action="store_true", help="report only; write nothing")
    args = parser.parse_args(argv)
    to_change = manual = unparsable = 0
    for path in python_files(args.paths):
        try:
            source = path.read_text(encoding="utf-8")
            new_source, changes = fix_source(source, path)
        except (OSError, UnicodeDecodeError, cst.ParserSyntaxError) as error:
            first_line = str(error).strip().splitlines()[0]
            print(f"{path}: cannot parse ({type(error).__name__}: {first_line}); left untouched")
            unparsable += 1
            continue
        for change in changes:
            print(change)
        manual += sum(change.new is None for change in changes)
        if new_source != source:
            to_change += 1
            if not args.check:
                path.write_text(new_source, encoding="utf-8")
    verb = "would rewrite" if args.check else "rewrote"
    print(
        f"fix-imports: {verb} {to_change} file(s); {manual} path(s) need a manual fix; "
        f"{unparsable} file(s) could not be parsed"
    )
    return 1 if (args.check and to_change) or manual or unparsable else 0


if __name__ == "__main__":
    sys.exit(main())
