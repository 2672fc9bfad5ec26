"""Find what a file asks of the stack: import statements, attribute chains, calls.

Standard library only (``ast``). A ``.py`` file is read as UTF-8; a ``.ipynb`` notebook is
read as nbformat JSON and its code cells are joined into one module (cells share one
namespace), with IPython magics (``%...``, ``!...``) blanked so that line numbers stay; each
reference then carries its cell. Positions are 1-based lines and 0-based columns in
characters (``ast`` counts UTF-8 bytes; they are converted).

``scan(path)`` returns a ``Scan``; ``SyntaxError``/``UnicodeDecodeError``/``ValueError``
(bad notebook JSON) propagate for the caller to report.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path

STACK_ROOTS = ("keras", "tensorflow", "tf_keras")
# Methods whose Keras 2 spelling is gone from keras.Model, with their keyword arguments.
MODEL_METHODS = (
    "fit",
    "fit_generator",
    "evaluate",
    "evaluate_generator",
    "predict",
    "predict_generator",
)


@dataclass(frozen=True)
class Ref:
    """One thing the code imports or reaches.

    ``kind``: ``import`` (``import path [as asname]``), ``from`` (``from path import name
    [as asname]``), ``star`` (``from path import *``) or ``chain`` (an attribute chain whose
    root name is bound by an import; ``path`` is the chain with the root expanded, e.g.
    ``K.int_shape`` -> ``keras.backend.int_shape``, and ``text`` is it as written).
    ``statement`` numbers the import statement a name belongs to (-1 for chains);
    ``guarded`` marks an import inside ``try:`` whose ``except`` catches ImportError, where
    a failure is the code's own business.
    """

    kind: str
    path: str
    line: int
    col: int
    end_line: int
    end_col: int
    text: str
    name: str | None = None
    asname: str | None = None
    statement: int = -1
    root: str | None = None
    guarded: bool = False

    @property
    def target(self) -> str:
        """The full dotted path of what is reached: ``path`` or ``path.name``."""
        return f"{self.path}.{self.name}" if self.kind == "from" else self.path

    @property
    def binding(self) -> str | None:
        """The name this import binds in the module (``import a.b`` binds ``a``)."""
        if self.kind == "import":
            return self.asname or self.path.split(".")[0]
        if self.kind == "from":
            return self.asname or self.name
        return None

    @property
    def bound_path(self) -> str | None:
        """The dotted path that ``binding`` refers to."""
        if self.kind == "import":
            return self.path if self.asname else self.path.split(".")[0]
        if self.kind == "from":
            return self.target
        return None


@dataclass(frozen=True)
class Keyword:
    name: str
    line: int
    col: int


@dataclass(frozen=True)
class CallRef:
    """A call: to a path bound by an import (``callee``), or a method (``method``).

    ``method`` is set for the Keras 2 ``Model`` spellings of ``MODEL_METHODS`` on any
    receiver, and for any method called on a plain name (``receiver``), which
    ``stackguard.calls`` judges when that name is bound to a Keras model. ``positional``
    counts the positional arguments (``keras.Model`` dispatches on them); -1 when a
    ``*args`` or ``**kwargs`` unpacking hides the call's shape. ``expected`` marks a call
    whose failure the code expects (``expected_failures``).
    """

    line: int
    col: int
    callee: str | None
    method: str | None
    method_line: int
    method_col: int
    keywords: tuple[Keyword, ...]
    text: str
    positional: int = 0
    receiver: str | None = None
    expected: bool = False


@dataclass(eq=False)
class Scan:
    """Everything one file asks of the stack."""

    path: Path
    refs: list[Ref] = field(default_factory=list)
    calls: list[CallRef] = field(default_factory=list)
    statements: dict[int, str] = field(default_factory=dict)
    bare_uses: set[str] = field(default_factory=set)
    # name = call(...): (name, the callee's stack path or None, the callee's local name)
    assignments: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    returns: dict[str, set[str]] = field(default_factory=dict)  # function -> names it returns
    cells: list[tuple[int, int]] | None = None  # notebook: (first line, cell number) per cell

    def where(self, line: int, col: int) -> str:
        """``path:line:col`` (``path:cell_N:line:col`` in a notebook), col 1-based."""
        if self.cells is None:
            return f"{self.path}:{line}:{col + 1}"
        first, number = max((c for c in self.cells if c[0] <= line), default=(1, 1))
        return f"{self.path}:cell_{number}:{line - first + 1}:{col + 1}"


def notebook_source(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Join a notebook's code cells; blank IPython magics (lines, and ``%%`` cells).

    Returns ``(source, cells)``."""
    notebook = json.loads(text)
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError("not an nbformat 4 notebook (no 'cells' list)")
    lines: list[str] = []
    cells = []
    number = 0
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        cells.append((len(lines) + 1, number))
        if source.lstrip().startswith("%%"):  # a cell magic (%%bash, %%writefile): not Python
            lines.extend("" for _ in source.splitlines())
            lines.append("")
            continue
        for line in source.splitlines():
            stripped = line.lstrip()
            lines.append(
                "" if stripped.startswith(("%", "!", "?")) or stripped.endswith("?") else line
            )
        lines.append("")
    return "\n".join(lines) + "\n", cells


IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def guarded_imports(tree: ast.AST) -> set[int]:
    """ids of the import nodes whose failure the code itself expects.

    Those in a ``try:`` that catches ImportError, and in its handlers (the fallback, as in
    ``try: import tomllib`` / ``except ModuleNotFoundError: import tomli``), and those under
    an ``if`` on ``sys.version_info`` or ``sys.platform``.
    """
    guarded: set[int] = set()

    def mark(statements: list[ast.stmt]) -> None:
        for statement in statements:
            guarded.update(
                id(n) for n in ast.walk(statement) if isinstance(n, (ast.Import, ast.ImportFrom))
            )

    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            caught = set()
            for handler in node.handlers:
                types_ = (
                    handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                )
                caught.update("BaseException" if t is None else (dotted(t) or "") for t in types_)
            if {name.rpartition(".")[2] for name in caught} & IMPORT_ERRORS:
                mark(node.body)
                for handler in node.handlers:
                    mark(handler.body)
        elif isinstance(node, ast.If):
            names = {dotted(n) for n in ast.walk(node.test) if isinstance(n, ast.Attribute)}
            if names & {"sys.version_info", "sys.platform"}:
                mark(node.body)
                mark(node.orelse)
    return guarded


CALL_ERRORS = {"TypeError", "ValueError", "AttributeError", "Exception", "BaseException"}


def expected_failures(tree: ast.AST) -> set[int]:
    """ids of the call nodes whose failure the code itself expects.

    Those in the body of ``with pytest.raises(...)`` (any ``raises``), and in a ``try:``
    whose ``except`` catches TypeError, ValueError or AttributeError (or all errors): a
    test proving that Keras rejects an argument is not a finding.
    """
    expected: set[int] = set()

    def mark(statements: list[ast.stmt]) -> None:
        for statement in statements:
            expected.update(id(n) for n in ast.walk(statement) if isinstance(n, ast.Call))

    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and (dotted(call.func) or "").endswith("raises"):
                    mark(node.body)
        elif isinstance(node, ast.Try):
            caught = set()
            for handler in node.handlers:
                types_ = (
                    handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                )
                caught.update("BaseException" if t is None else (dotted(t) or "") for t in types_)
            if {name.rpartition(".")[2] for name in caught} & CALL_ERRORS:
                mark(node.body)
    return expected


def dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Collector(ast.NodeVisitor):
    def __init__(self, scan: Scan, lines: list[str]) -> None:
        self.scan = scan
        self.lines = lines
        self.bindings: dict[str, str] = {}
        self.statement = 0
        self.expected: set[int] = set()

    def col(self, line: int, byte_col: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def span(self, node: ast.AST) -> tuple[int, int, int, int]:
        return (
            node.lineno,
            self.col(node.lineno, node.col_offset),
            node.end_lineno or node.lineno,
            self.col(node.end_lineno or node.lineno, node.end_col_offset or 0),
        )

    def text(self, node: ast.AST) -> str:
        """The node's source with its whitespace collapsed: ``ast.get_source_segment``'s
        slice (UTF-8 byte columns) taken from the file's lines, not from the whole source
        split again for every node (that made the scan quadratic in the file's length)."""
        first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
        lines = [line.encode("utf-8") for line in self.lines[first : last + 1]]
        lines[-1] = lines[-1][: node.end_col_offset]
        lines[0] = lines[0][node.col_offset :]
        return " ".join(b"\n".join(lines).decode("utf-8").split())

    # Imports bind names for the whole module (flow-insensitive, as a reader would).
    def collect_imports(self, tree: ast.AST) -> None:
        guarded = guarded_imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self.statement += 1
                self.scan.statements[self.statement] = self.text(node)
                for alias in node.names:
                    ref = Ref("import", alias.name, *self.span(node), self.text(node),
                              asname=alias.asname, statement=self.statement,
                              guarded=id(node) in guarded)  # fmt: skip
                    self.scan.refs.append(ref)
                    self.bindings[ref.binding] = ref.bound_path
            elif isinstance(node, ast.ImportFrom):
                if node.level or node.module is None or node.module == "__future__":
                    continue
                self.statement += 1
                self.scan.statements[self.statement] = self.text(node)
                for alias in node.names:
                    if alias.name == "*":
                        self.scan.refs.append(
                            Ref(
                                "star",
                                node.module,
                                *self.span(node),
                                self.text(node),
                                statement=self.statement,
                            )  # fmt: skip
                        )
                        continue
                    ref = Ref("from", node.module, *self.span(node), self.text(node),
                              name=alias.name, asname=alias.asname, statement=self.statement,
                              guarded=id(node) in guarded)  # fmt: skip
                    self.scan.refs.append(ref)
                    self.bindings[ref.binding] = ref.bound_path

    def expand(self, chain: str) -> str | None:
        root, _, rest = chain.partition(".")
        bound = self.bindings.get(root)
        if bound is None or bound.split(".")[0] not in STACK_ROOTS:
            return None
        return f"{bound}.{rest}" if rest else bound

    def visit_Import(self, node: ast.Import) -> None:
        return

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted(node)
        if chain is None or not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return
        path = self.expand(chain)
        if path is not None:
            self.scan.refs.append(
                Ref("chain", path, *self.span(node), chain, root=chain.split(".")[0])
            )
        # The longest chain only: keras.utils.np_utils.to_categorical as one.

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in self.bindings:
            self.scan.bare_uses.add(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call):
            chain = dotted(node.value.func)
            path = local = None
            if chain is not None:
                path = self.expand(chain) if "." in chain else self.bindings.get(chain)
                if path is not None and path.split(".")[0] not in STACK_ROOTS:
                    path = None
                if path is None and "." not in chain:
                    local = chain
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.scan.assignments.append((target.id, path, local))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        names = self.scan.returns.setdefault(node.name, set())
        for child in ast.walk(node):
            if isinstance(child, ast.Return) and isinstance(child.value, ast.Name):
                names.add(child.value.id)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        keywords = tuple(
            Keyword(kw.arg, kw.value.lineno, self.col(kw.value.lineno, kw.value.col_offset))
            for kw in node.keywords
            if kw.arg is not None
        )
        callee = method = None
        method_line, method_col = node.lineno, self.col(node.lineno, node.col_offset)
        chain = dotted(node.func)
        if chain is not None:
            callee = self.expand(chain) if "." in chain else self.bindings.get(chain)
            if callee is not None and callee.split(".")[0] not in STACK_ROOTS:
                callee = None
        receiver = None
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            receiver = node.func.value.id
        if isinstance(node.func, ast.Attribute) and (
            node.func.attr in MODEL_METHODS or (receiver and callee is None)
        ):
            method = node.func.attr
            end = node.func.end_col_offset or 0
            method_line = node.func.end_lineno or node.lineno
            method_col = self.col(method_line, end) - len(method)
        if callee is not None or method is not None:
            self.scan.calls.append(
                CallRef(
                    node.lineno,
                    self.col(node.lineno, node.col_offset),
                    callee,
                    method,
                    method_line,
                    method_col,
                    keywords,
                    self.text(node.func),
                    -1
                    if any(isinstance(arg, ast.Starred) for arg in node.args)
                    or any(kw.arg is None for kw in node.keywords)
                    else len(node.args),
                    receiver,
                    id(node) in self.expected,
                )  # fmt: skip
            )
        self.generic_visit(node)


def scan_source(source: str, path: Path, cells: list[tuple[int, int]] | None = None) -> Scan:
    """Scan Python source. Raises SyntaxError when it does not parse as Python 3."""
    tree = ast.parse(source, filename=str(path))
    scan = Scan(path, cells=cells)
    collector = _Collector(scan, source.splitlines())
    collector.collect_imports(tree)
    collector.expected = expected_failures(tree)
    collector.visit(tree)
    scan.refs.sort(key=lambda ref: (ref.line, ref.col))
    return scan


def scan(path: Path) -> Scan:
    """Scan a ``.py`` file or a ``.ipynb`` notebook's code cells."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        source, cells = notebook_source(text)
        return scan_source(source, path, cells)
    return scan_source(text, path)


def python_files(paths: list[str], suffixes: tuple[str, ...] = (".py", ".ipynb")) -> list[Path]:
    """The files under ``paths`` (folders searched recursively, skipping venvs and caches)."""
    skip = {".venv", "venv", ".git", "__pycache__", ".ipynb_checkpoints", "build", "dist"}
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in suffixes and p.is_file() and not skip & set(p.parts)
            )
        else:
            files.append(path)
    return files
