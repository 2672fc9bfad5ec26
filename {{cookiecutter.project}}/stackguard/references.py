"""Find what a file asks of the stack: import statements, attribute chains, calls.

Standard library only (``ast``). A ``.py`` file is read as UTF-8; a ``.ipynb`` notebook is
read as nbformat JSON and its code cells are joined into one module (cells share one
namespace), with IPython magics (``%...``, ``!...``) blanked so that line numbers stay; each
reference then carries its cell. Positions are 1-based lines and 0-based columns in
characters (``ast`` counts UTF-8 bytes; they are converted).

Names are bound as Python binds them, in the order the code runs (``_Collector``): a use
is judged by the binding in force there; star imports bind what the installed stack's own
star import binds, asked of a ``Resolver`` (``stack.Stack``), which also settles names
bound in two branches and evaluates ``__version__`` switches. Without a resolver, a star
import binds nothing known.

``scan(path)`` returns a ``Scan``; ``SyntaxError``/``UnicodeDecodeError``/``ValueError``
(bad notebook JSON) propagate for the caller to report.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

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
    """A keyword argument of a call; ``falsy`` when its value is a literal ``0``, ``0.0``,
    ``None`` or ``False`` (such an argument asks for nothing)."""

    name: str
    line: int
    col: int
    falsy: bool = False


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
    # star-import statement -> the names the file uses through it
    star_uses: dict[int, set[str]] = field(default_factory=dict)
    # (line, col, name): uses of a stack name bound two ways (different objects): not judged
    unknown: set[tuple[int, int, str]] = field(default_factory=set)
    fallbacks: list[Fallback] = field(default_factory=list)  # try/except ImportError
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


def catches_import_error(node: ast.AST) -> bool:
    """Whether a ``try`` has a handler for ImportError (or ModuleNotFoundError, a tuple
    holding one, ``Exception``, or a bare ``except``)."""
    if not isinstance(node, ast.Try):
        return False
    caught = set()
    for handler in node.handlers:
        types_ = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        caught.update("BaseException" if t is None else (dotted(t) or "") for t in types_)
    return bool({name.rpartition(".")[2] for name in caught} & IMPORT_ERRORS)


# What a version test may hold to be evaluated by the probe: no call but these names or
# methods, so that evaluating it runs none of the file's own code.
VERSION_CALLS = {
    "int", "float", "str", "tuple", "map", "len", "split", "startswith", "LooseVersion",
    "StrictVersion", "Version", "parse", "parse_version",
}  # fmt: skip
VERSION_NODES = (
    ast.Compare, ast.BoolOp, ast.UnaryOp, ast.Attribute, ast.Name, ast.Constant, ast.Subscript,
    ast.Slice, ast.Tuple, ast.Call, ast.Load, ast.cmpop, ast.boolop, ast.unaryop,
)  # fmt: skip


def version_test(test: ast.expr, bindings: dict[str, str]) -> dict | None:
    """``{"expr", "names"}`` for an ``if`` test on a Keras or TensorFlow ``__version__``
    that the probe may evaluate (``probe.evaluate_version``), else None."""
    nodes = list(ast.walk(test))
    if not all(isinstance(n, VERSION_NODES) for n in nodes):
        return None
    for node in nodes:
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else dotted(node.func)
            if name not in VERSION_CALLS or node.keywords:
                return None
    versions = [
        dotted(n) for n in nodes if isinstance(n, ast.Attribute) and n.attr == "__version__"
    ]
    roots = {chain.split(".")[0] for chain in versions if chain}
    if not roots or not all(bindings.get(r, "").split(".")[0] in STACK_ROOTS for r in roots):
        return None
    names = {n.id for n in nodes if isinstance(n, ast.Name)}
    if not names <= set(bindings) | {"int", "float", "str", "tuple", "map", "len"}:
        return None
    return {"expr": ast.unparse(test), "names": {n: bindings[n] for n in names if n in bindings}}


def guarded_imports(tree: ast.AST, resolver: Resolver | None = None) -> set[int]:
    """ids of the import nodes whose failure the code itself expects, or that do not run.

    Those in a ``try:`` that catches ImportError, and in its handlers (the fallback, as in
    ``try: import tomllib`` / ``except ModuleNotFoundError: import tomli``); those under an
    ``if`` on ``sys.version_info`` or ``sys.platform``; and those in the branch of an ``if``
    on ``keras.__version__`` (or TensorFlow's) that the installed stack does not take, as
    the probe evaluates the test (``version_test``). The branch it takes is judged as any
    code is.
    """
    guarded: set[int] = set()
    bindings = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                bindings[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                bindings[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def mark(statements: list[ast.stmt]) -> None:
        for statement in statements:
            guarded.update(
                id(n) for n in ast.walk(statement) if isinstance(n, (ast.Import, ast.ImportFrom))
            )

    for node in ast.walk(tree):
        if catches_import_error(node):
            mark(node.body)
            for handler in node.handlers:
                mark(handler.body)
        elif isinstance(node, ast.If):
            names = {dotted(n) for n in ast.walk(node.test) if isinstance(n, ast.Attribute)}
            if names & {"sys.version_info", "sys.platform"}:
                mark(node.body)
                mark(node.orelse)
                continue
            query = version_test(node.test, bindings) if resolver is not None else None
            taken = resolver.evaluate_version(query) if query else None
            if taken is not None:
                mark(node.orelse if taken else node.body)
    return guarded


@dataclass(frozen=True)
class Branch:
    """One alternative of an import fallback: its import statements (numbers, see
    ``Ref.statement``), the fallbacks nested in it, and whether it ends in ``raise``."""

    statements: tuple[int, ...]
    nested: tuple[Fallback, ...]
    raises: bool


@dataclass(frozen=True)
class Fallback:
    """A ``try:`` around imports whose handlers catch ImportError: the ``try`` body, then
    each handler, as ``branches``. ``only_imports``: nothing but imports (and ``pass``) in
    it, so that ``make migrate`` may replace the whole statement by one branch."""

    line: int
    col: int
    end_line: int
    branches: tuple[Branch, ...]
    only_imports: bool


def passes_import_error_on(node: ast.Raise) -> bool:
    """A bare ``raise``, or ``raise ImportError(...)``/``ModuleNotFoundError``: the import's
    failure goes on. A handler raising another exception (``raise ConfigError("reading TOML
    needs Python 3.11")``) is the code's own report of a missing optional module, by
    design, and does not make the fallback a failing one."""
    if node.exc is None:
        return True
    raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return (dotted(raised) or "").rpartition(".")[2] in ("ImportError", "ModuleNotFoundError")


def import_fallbacks(tree: ast.AST, numbers: dict[int, int]) -> list[Fallback]:
    """The outermost import fallbacks of a module (nested ones are in their branches)."""

    def fallback(node: ast.Try) -> Fallback:
        parts = [node.body, *(handler.body for handler in node.handlers)]
        simple = (
            not node.orelse
            and not node.finalbody
            and all(
                isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass))
                for part in parts
                for s in part
            )
        )
        return Fallback(
            node.lineno, node.col_offset, node.end_lineno or node.lineno,
            tuple(branch(part) for part in parts), simple,
        )  # fmt: skip

    def branch(statements: list[ast.stmt]) -> Branch:
        imports, nested = [], []
        pending: list[ast.AST] = list(statements)
        while pending:
            node = pending.pop(0)
            if catches_import_error(node):
                nested.append(fallback(node))
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue  # its imports run when it is called, not with the try
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) in numbers:
                imports.append(numbers[id(node)])
            pending.extend(ast.iter_child_nodes(node))
        raises = any(isinstance(s, ast.Raise) and passes_import_error_on(s) for s in statements)
        return Branch(tuple(imports), tuple(nested), raises)

    found = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop(0)
        if catches_import_error(node):
            found.append(fallback(node))
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


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


PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg")


def search_dirs(path: Path, limit: int = 8) -> list[str]:
    """The file's folder and its parents up to the first that marks a project root.

    Code is run from its own folder or from the repository root, so a module there is the
    user's own, not a missing dependency.
    """
    folders = []
    for folder in [path.resolve().parent, *path.resolve().parents[:limit]]:
        folders.append(str(folder))
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            break
    return folders


class Resolver(Protocol):
    """What a scan asks of the installed stack (``stack.Stack`` answers it)."""

    def star_names(self, module: str, dirs: list[str] | None = None) -> list[str] | None:
        """The names ``from module import *`` binds; None when they are not known."""

    def one_object(self, paths: list[str]) -> tuple[str, str | None]:
        """``("same", path)``, ``("differ", None)`` or ``("none", None)`` (none resolves)."""

    def evaluate_version(self, query: dict) -> bool | None:
        """The truth of a version test on the installed stack, or None if unknown."""


@dataclass(frozen=True)
class Alt:
    """One value a name may hold at a point of the code.

    ``kind`` is ``path`` (an import, a star import or an alias bound the dotted ``path``;
    ``star`` numbers the star-import statement, 0 otherwise), ``other`` (any other value:
    a ``def``, a ``class``, an assignment), ``unbound``, or ``opaque`` (rebound, maybe, by a
    star import whose names are not known).
    """

    kind: str
    path: str | None = None
    star: int = 0


UNBOUND, OTHER, OPAQUE = Alt("unbound"), Alt("other"), Alt("opaque")


class Env:
    """The bindings of one scope at one point of its code: ``{name: alternatives}``.

    A name not bound here is looked up with ``outer`` (a function's free names, in the
    enclosing scope) unless it is one of the scope's ``local`` names; else it is unbound
    (or opaque after a star import whose names are not known).
    """

    def __init__(self, outer=None, local: frozenset[str] = frozenset()) -> None:
        self.names: dict[str, frozenset[Alt]] = {}
        self.outer = outer
        self.local = local
        self.opaque = False

    def copy(self) -> Env:
        env = Env(self.outer, self.local)
        env.names = dict(self.names)
        env.opaque = self.opaque
        return env

    def lookup(self, name: str) -> frozenset[Alt]:
        if name in self.names:
            return self.names[name]
        if self.outer is not None and name not in self.local:
            return self.outer(name)
        return frozenset({OPAQUE if self.opaque else UNBOUND})

    def bind(self, name: str, value: Alt) -> None:
        self.names[name] = frozenset({value})

    def blind(self) -> None:
        """After a star import whose names are not known, any name may be rebound."""
        self.names = {name: alts | {OPAQUE} for name, alts in self.names.items()}
        self.opaque = True

    @staticmethod
    def merge(envs: list[Env]) -> Env:
        """Where branches join, a name may hold what it held at the end of any of them."""
        merged = Env(envs[0].outer, envs[0].local)
        merged.opaque = any(env.opaque for env in envs)
        for name in {name for env in envs for name in env.names}:
            merged.names[name] = frozenset().union(*(env.lookup(name) for env in envs))
        return merged


def arguments(args: ast.arguments) -> list[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return [arg.arg for arg in every if arg is not None]


def local_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> frozenset[str]:
    """The names a function binds in its own scope (its parameters included)."""
    names, declared = set(arguments(function.args)), set()
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp)):
            continue
        if isinstance(node, ast.GeneratorExp):
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        pending.extend(ast.iter_child_nodes(node))
    return frozenset(names - declared)


class _Collector:
    """Walks a module in the order it runs, with each scope's bindings (``Env``).

    A call or chain is judged by the binding in force where it runs: at module level,
    the binding at that line; in a function body (run when called, usually once the
    module's code is done), the scope's final binding, or also the one at the ``def``
    when they differ. Branches (``if``, ``try``, loops) join as alternatives; a name
    whose alternatives are different objects is not judged, and its use is counted
    in ``Scan.unknown``.
    """

    def __init__(self, scan: Scan, lines: list[str], resolver: Resolver | None) -> None:
        self.scan = scan
        self.lines = lines
        self.resolver = resolver
        self.bindings: dict[str, str] = {}  # names any import binds (for bare uses)
        self.statement = 0
        self.numbers: dict[int, int] = {}  # id(import node) -> statement number
        self.expected: set[int] = set()
        self.dirs: list[str] | None = None

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

    def collect_imports(self, tree: ast.AST) -> None:
        """One ``Ref`` per imported name, each import statement numbered."""
        guarded = guarded_imports(tree, self.resolver)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                self.statement += 1
                self.numbers[id(node)] = self.statement
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
                self.numbers[id(node)] = self.statement
                self.scan.statements[self.statement] = self.text(node)
                for alias in node.names:
                    ref = Ref("star" if alias.name == "*" else "from", node.module,
                              *self.span(node), self.text(node),
                              name=None if alias.name == "*" else alias.name,
                              asname=alias.asname, statement=self.statement,
                              guarded=id(node) in guarded)  # fmt: skip
                    self.scan.refs.append(ref)
                    if ref.binding:
                        self.bindings[ref.binding] = ref.bound_path

    # -- scopes and statements, in the order they run --

    def run(self, tree: ast.Module) -> None:
        deferred: list[tuple[ast.AST, Env]] = []
        final = self.block(tree.body, Env(), deferred)
        self.finish(deferred, final)

    def finish(self, deferred: list[tuple[ast.AST, Env]], final: Env) -> None:
        """Judge the bodies of the functions a scope defined, once its code is done."""
        for node, at_def in deferred:

            def outer(name: str, at_def: Env = at_def) -> frozenset[Alt]:
                last, then = final.lookup(name), at_def.lookup(name)
                return last if then <= {UNBOUND} or then == last else last | then

            env = Env(outer, local_names(node))
            for name in arguments(node.args):
                env.bind(name, OTHER)
            inner: list[tuple[ast.AST, Env]] = []
            self.finish(inner, self.block(node.body, env, inner))

    def block(self, statements: list[ast.stmt], env: Env, deferred: list) -> Env:
        for statement in statements:
            env = self.statement_(statement, env, deferred)
        return env

    def statement_(self, node: ast.stmt, env: Env, deferred: list) -> Env:  # noqa: C901, PLR0911, PLR0912
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                env.bind(alias.asname or top, Alt("path", alias.name if alias.asname else top))
        elif isinstance(node, ast.ImportFrom):
            self.import_from(node, env)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.uses([*node.decorator_list, *node.args.defaults, *node.args.kw_defaults], env)
            returned = self.scan.returns.setdefault(node.name, set())
            for child in ast.walk(node):
                if isinstance(child, ast.Return) and isinstance(child.value, ast.Name):
                    returned.add(child.value.id)
            env.bind(node.name, OTHER)
            deferred.append((node, env.copy()))
        elif isinstance(node, ast.ClassDef):
            self.uses([*node.decorator_list, *node.bases, *(k.value for k in node.keywords)], env)
            self.block(node.body, env.copy(), deferred)
            env.bind(node.name, OTHER)
        elif isinstance(node, ast.If):
            self.uses([node.test], env)
            taken = self.version_branch(node.test)
            if taken is not None:  # the stack decides: only that branch runs
                return self.block(node.body if taken else node.orelse, env, deferred)
            then = self.block(node.body, env.copy(), deferred)
            return Env.merge([then, self.block(node.orelse, env.copy(), deferred)])
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            body = env.copy()
            if isinstance(node, ast.While):
                self.uses([node.test], env)
            else:
                self.uses([node.iter], env)
                self.bind_targets(node.target, body, OTHER)
            body = self.block(node.body, body, deferred)
            return self.block(node.orelse, Env.merge([env, body]), deferred)
        elif isinstance(node, ast.Try | getattr(ast, "TryStar", ast.Try)):
            body = self.block(node.body, env.copy(), deferred)
            start = Env.merge([env, body])
            ends = [self.block(node.orelse, body, deferred)]
            for handler in node.handlers:
                self.uses([handler.type], start)
                caught = start.copy()
                if handler.name:
                    caught.bind(handler.name, OTHER)
                ends.append(self.block(handler.body, caught, deferred))
            return self.block(node.finalbody, Env.merge(ends), deferred)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.uses([item.context_expr], env)
                if item.optional_vars is not None:
                    self.bind_targets(item.optional_vars, env, OTHER)
            return self.block(node.body, env, deferred)
        elif isinstance(node, ast.Match):
            self.uses([node.subject], env)
            ends = [env]
            for case in node.cases:
                branch = env.copy()
                for child in ast.walk(case.pattern):
                    for name in (getattr(child, "name", None), getattr(child, "rest", None)):
                        if isinstance(name, str):
                            branch.bind(name, OTHER)
                self.uses([case.guard], branch)
                ends.append(self.block(case.body, branch, deferred))
            return Env.merge(ends)
        elif isinstance(node, ast.Assign):
            self.uses([node.value], env)
            self.record_assignment(node, env)
            value = self.alias(node.value, env)
            for target in node.targets:
                self.bind_targets(target, env, value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            self.uses([node.value, getattr(node, "annotation", None)], env)
            if isinstance(node, ast.AugAssign):
                self.uses([node.target], env)
            self.bind_targets(node.target, env, OTHER)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.bind_targets(target, env, UNBOUND)
        else:
            self.uses([c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)], env)
        return env

    def version_branch(self, test: ast.expr) -> bool | None:
        """For an ``if`` on a Keras or TensorFlow ``__version__``: whether the installed
        stack takes its body (``probe.evaluate_version``); None for any other test."""
        query = version_test(test, self.bindings) if self.resolver is not None else None
        return self.resolver.evaluate_version(query) if query else None

    def import_from(self, node: ast.ImportFrom, env: Env) -> None:
        if node.module == "__future__":
            return
        for alias in node.names:
            if alias.name != "*":
                bound = Alt("path", f"{node.module}.{alias.name}") if not node.level else OTHER
                env.bind(alias.asname or alias.name, bound)
                continue
            names = None
            if self.resolver is not None and node.module and not node.level:
                names = self.resolver.star_names(node.module, self.dirs)
            elif self.resolver is not None and node.module and self.package(node):
                names = self.resolver.star_names(node.module, [str(self.package(node))])
            if names is None:
                env.blind()
                continue
            number = self.numbers.get(id(node), 0)  # 0: relative, never rewritten
            prefix = "." * node.level + node.module  # a relative path is no stack path
            for name in names:
                env.bind(name, Alt("path", f"{prefix}.{name}", number))

    def package(self, node: ast.ImportFrom) -> Path | None:
        """The folder a relative ``from .module import *`` reads, if that module is there."""
        folder = self.scan.path.resolve().parent
        for _ in range(node.level - 1):
            folder = folder.parent
        base = folder.joinpath(*node.module.split("."))
        exists = base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
        return folder if exists else None

    def bind_targets(self, target: ast.expr, env: Env, value: Alt) -> None:
        if isinstance(target, ast.Name):
            env.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.bind_targets(element, env, OTHER if value is not UNBOUND else value)
        elif isinstance(target, ast.Starred):
            self.bind_targets(target.value, env, OTHER)
        else:
            self.uses([target], env)

    def alias(self, value: ast.expr, env: Env) -> Alt:
        """``K = keras.backend`` binds ``K`` to a path; anything else is another value."""
        chain = dotted(value)
        if chain is None:
            return OTHER
        root, _, rest = chain.partition(".")
        path = self.settle(root, env, value.lineno, value.col_offset, count=False)
        if path is None:
            return OTHER
        return Alt("path", f"{path}.{rest}" if rest else path)

    def record_assignment(self, node: ast.Assign, env: Env) -> None:
        if not isinstance(node.value, ast.Call):
            return
        chain = dotted(node.value.func)
        path = local = None
        if chain is not None:
            path = self.expand(chain, env, node.value.func, count=False)
            if path is None and "." not in chain:
                local = chain
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.scan.assignments.append((target.id, path, local))

    def uses(self, nodes: list[ast.AST | None], env: Env) -> None:
        for node in nodes:
            if node is not None:
                _Uses(self, env).visit(node)

    # -- names --

    def settle(self, name: str, env: Env, line: int, col: int, count: bool = True) -> str | None:
        """The dotted path ``name`` is bound to here, or None (not a path, or not known).

        Alternatives that are different objects (for the probe) leave it unknown; such a
        use of a stack path is counted once in ``Scan.unknown``. An import that fails binds
        nothing, so only alternatives that resolve count.
        """
        alts = {alt for alt in env.lookup(name) if alt is not UNBOUND}
        paths = {alt for alt in alts if alt.kind == "path"}
        for alt in paths:
            if alt.star:
                self.scan.star_uses.setdefault(alt.star, set()).add(name)
        if not paths:
            return None
        chosen = None
        distinct = sorted({alt.path for alt in paths})
        if len(paths) == len(alts) and len(distinct) == 1:
            chosen = distinct[0]
        elif len(paths) == len(alts) and self.resolver is not None:
            verdict, chosen = self.resolver.one_object(distinct)
            if verdict == "none":
                return None  # every alternative fails: the imports are the findings
        if chosen is None and count and any(p.split(".")[0] in STACK_ROOTS for p in distinct):
            self.scan.unknown.add((line, self.col(line, col), name))
        return chosen

    def expand(self, chain: str, env: Env, node: ast.AST, count: bool = True) -> str | None:
        """The stack path of a dotted name as bound here, or None."""
        root, _, rest = chain.partition(".")
        bound = self.settle(root, env, node.lineno, node.col_offset, count)
        if bound is None or bound.split(".")[0] not in STACK_ROOTS:
            return None
        return f"{bound}.{rest}" if rest else bound


class _Uses(ast.NodeVisitor):
    """The chains, calls and bare names of one expression, under the bindings ``env``."""

    def __init__(self, collector: _Collector, env: Env) -> None:
        self.c = collector
        self.env = env

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = dotted(node)
        if chain is None or not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
            return
        path = self.c.expand(chain, self.env, node)
        if path is not None:
            self.c.scan.refs.append(
                Ref("chain", path, *self.c.span(node), chain, root=chain.split(".")[0])
            )
        # The longest chain only: keras.utils.np_utils.to_categorical as one.

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.c.settle(node.id, self.env, node.lineno, node.col_offset, count=False)
            if node.id in self.c.bindings:
                self.c.scan.bare_uses.add(node.id)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.c.uses([*node.args.defaults, *node.args.kw_defaults], self.env)
        env = self.env.copy()
        for name in arguments(node.args):
            env.bind(name, OTHER)
        _Uses(self.c, env).visit(node.body)

    def comprehension(self, node: ast.AST, parts: list[ast.expr]) -> None:
        env = self.env.copy()
        for generator in node.generators:
            _Uses(self.c, env).visit(generator.iter)
            self.c.bind_targets(generator.target, env, OTHER)
            for condition in generator.ifs:
                _Uses(self.c, env).visit(condition)
        for part in parts:
            _Uses(self.c, env).visit(part)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self.comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self.comprehension(node, [node.key, node.value])

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.c.bind_targets(node.target, self.env, OTHER)

    def visit_Call(self, node: ast.Call) -> None:
        c = self.c
        keywords = tuple(
            Keyword(
                kw.arg,
                kw.value.lineno,
                c.col(kw.value.lineno, kw.value.col_offset),
                isinstance(kw.value, ast.Constant) and not kw.value.value,
            )
            for kw in node.keywords
            if kw.arg is not None
        )
        callee = method = None
        method_line, method_col = node.lineno, c.col(node.lineno, node.col_offset)
        chain = dotted(node.func)
        if chain is not None:
            callee = c.expand(chain, self.env, node.func)
        receiver = None
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            receiver = node.func.value.id
        if isinstance(node.func, ast.Attribute) and (
            node.func.attr in MODEL_METHODS or (receiver and callee is None)
        ):
            method = node.func.attr
            end = node.func.end_col_offset or 0
            method_line = node.func.end_lineno or node.lineno
            method_col = c.col(method_line, end) - len(method)
        if callee is not None or method is not None:
            c.scan.calls.append(
                CallRef(
                    node.lineno,
                    c.col(node.lineno, node.col_offset),
                    callee,
                    method,
                    method_line,
                    method_col,
                    keywords,
                    c.text(node.func),
                    -1
                    if any(isinstance(arg, ast.Starred) for arg in node.args)
                    or any(kw.arg is None for kw in node.keywords)
                    else len(node.args),
                    receiver,
                    id(node) in c.expected,
                )  # fmt: skip
            )
        self.generic_visit(node)


def scan_source(
    source: str,
    path: Path,
    cells: list[tuple[int, int]] | None = None,
    resolver: Resolver | None = None,
) -> Scan:
    """Scan Python source. Raises SyntaxError when it does not parse as Python 3.

    ``resolver`` (a ``stack.Stack``) names what star imports bind and settles names bound
    two ways; without one, a star import binds nothing known."""
    tree = ast.parse(source, filename=str(path))
    scan = Scan(path, cells=cells)
    collector = _Collector(scan, source.splitlines(), resolver)
    collector.dirs = search_dirs(path)
    collector.collect_imports(tree)
    scan.fallbacks = import_fallbacks(tree, collector.numbers)
    collector.expected = expected_failures(tree)
    collector.run(tree)
    scan.refs.sort(key=lambda ref: (ref.line, ref.col))
    scan.calls.sort(key=lambda call: (call.line, call.col))
    return scan


def scan(path: Path, resolver: Resolver | None = None) -> Scan:
    """Scan a ``.py`` file or a ``.ipynb`` notebook's code cells (see ``scan_source``)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        source, cells = notebook_source(text)
        return scan_source(source, path, cells, resolver)
    return scan_source(text, path, resolver=resolver)


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
