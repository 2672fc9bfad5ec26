"""The migration codemod: ``make migrate [PATHS=...] [ARGS=--check]``.

``python -m stackguard.migrate [--check] PATH ...`` rewrites legacy Keras code in place,
with libcst, so comments and formatting are kept. Every rewrite comes from a verdict of
``stackguard.verdicts`` (the installed stack's own answers) and is verified before it is
written:

- a failing import becomes the path where the probe found the same name now (``from
  keras.layers.core import Dense`` -> ``from keras.layers import Dense``), or a module that
  holds every member the code uses (``from keras.utils import np_utils`` -> ``from keras
  import utils as np_utils``); an import whose names moved to several modules is split;
- a working ``tensorflow.keras`` path becomes the ``keras`` path of the same object (for a
  module: every member used is the same object);
- ``keras.x.y`` and ``tf.keras.x.y`` chains likewise (``import keras`` is added if needed);
- imports of ``tensorflow.python.keras``, TensorFlow's stale internal Keras 2 copy, become
  the ``keras`` path where that resolves in the installed Keras, with a note (not the same
  object: check the arguments); only when every stale import of the file can move, so
  that a file never mixes the two Kerases;
- a star import that works (``from keras.layers import *``) becomes an import of the names
  the file uses through it (``references.Scan.star_uses``), each resolved by the probe;
  a ``tensorflow.keras`` name goes to its ``keras`` path when that is the same object. This
  is the change the Keras 3 migration guide recommends, and it makes the file checkable
  name by name; a star import that fails is reported, as any failing import;
- an import fallback that cannot succeed (``stackguard.fallbacks``) becomes its first
  branch whose failing imports all have a verified replacement: the whole ``try`` when it
  holds nothing but imports, else that branch's imports in place; otherwise it is reported;
- an optimizer's ``decay=`` (accepted and dropped by Keras 3) becomes an
  ``InverseTimeDecay`` schedule of the same rates when rate and decay are number literals;
- call-level breakages (``stackguard.calls``): keyword renames of the same meaning
  (``lr=`` -> ``learning_rate=``, ``Model(input=, output=)`` -> ``inputs=``/``outputs=``,
  ``nb_epoch=`` -> ``epochs=``), ``fit_generator``/``evaluate_generator``/
  ``predict_generator`` -> ``fit``/``evaluate``/``predict`` (``generator=`` -> ``x=``),
  each checked against the installed signatures; keywords a Keras constructor rejects
  (``ModelCheckpoint(period=)``), ``fit(workers=)``, removed ``Model`` methods
  (``predict_classes``) and removed backend calls are reported.

Before a file is written, the new source is parsed and judged again: a file where any
import would fail that did not fail before is left untouched and reported. A rewrite that
cannot be verified is not made; it is reported.

Prints ``path:line: old -> new`` per rewrite, ``path:line: message`` per manual fix, and a
summary. Exit status 1 when anything is left to do, or, with ``--check``, when anything
would change; files that do not parse (Python 2) are reported and left untouched.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import dataclasses
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from .calls import SCHEDULE, judge_calls
from .fallbacks import judge_fallbacks
from .references import Branch, Scan, python_files, scan_source
from .stack import Stack, StackError
from .verdicts import Judge, Verdict, describe, family, fixable, tier_of, twin

STALE_NOTE = "not the same object: check the arguments"


@dataclass
class Plan:
    """What to do to one file: edits keyed by source position, and what is left to the user."""

    scan: Scan
    source: str
    imports: dict[int, list[tuple[str, str, list[tuple[str, str | None]]]]] = field(
        default_factory=dict
    )  # statement -> new statements as (kind, module, [(name, asname)])
    chains: dict[tuple[int, int], str] = field(default_factory=dict)
    keywords: dict[tuple[int, int], str] = field(default_factory=dict)
    methods: dict[tuple[int, int], str] = field(default_factory=dict)
    # try statement (line, col) -> (the branch it becomes, that branch's import statements)
    collapse: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = field(default_factory=dict)
    # optimizer call (line, col) -> (schedule class as spelled here, default rate or None)
    schedules: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)
    needs_keras: bool = False
    rewrites: list[tuple[int, str, str]] = field(default_factory=list)
    manual: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # reported, nothing to do


def applies(verdict: Verdict) -> bool:
    """Whether a verdict's fix may be written: verified, and safe for working code."""
    if (
        verdict.new is None
        or verdict.covered
        and verdict.ref.kind == "chain"
        or verdict.ref.guarded
    ):
        return False
    tier = tier_of(verdict.new)
    if tier == "tf.compat.v1" or (verdict.ref.kind == "chain" and tier != "keras"):
        return False  # TF1 graph-mode APIs and tf.keras-only members: reported, not moved
    if verdict.status == "fails":
        return True
    if verdict.status == "stale":
        return verdict.movable and tier == "keras"
    return verdict.status in ("prefer", "private") and verdict.same_object


def plan_imports(plan: Plan, verdicts: list[Verdict]) -> dict[str, str]:
    """Plan the import statements; returns the bindings after the rewrite (name -> path)."""
    by_statement: dict[int, list[Verdict]] = defaultdict(list)
    bindings: dict[str, str] = {}
    for verdict in verdicts:
        if verdict.ref.kind in ("import", "from", "star"):
            by_statement[verdict.ref.statement].append(verdict)
    for number, group in by_statement.items():
        first = group[0].ref
        if first.kind == "star" or not any(applies(v) for v in group):
            for verdict in group:
                if verdict.ref.binding:
                    bindings[verdict.ref.binding] = verdict.ref.bound_path
            continue
        statements: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for verdict in group:
            ref = verdict.ref
            new = (
                verdict.new
                if applies(verdict)
                else (ref.bound_path if ref.kind == "from" else ref.path)
            )
            if ref.kind == "import":
                statements.setdefault(("import", ""), []).append((new, ref.asname))
                bindings[ref.binding] = new if ref.asname else new.split(".")[0]
                continue
            module, _, name = new.rpartition(".")
            alias = ref.binding if ref.binding != name else None
            statements.setdefault(("from", module) if module else ("import", ""), []).append(
                (name, alias)
            )
            bindings[ref.binding] = new
        plan.imports[number] = [
            (kind, module, names) for (kind, module), names in statements.items()
        ]
        lines = [render(kind, module, names) for kind, module, names in plan.imports[number]]
        plan.rewrites.append((first.line, plan.scan.statements[number], "; ".join(lines)))
    return bindings


def plan_stars(plan: Plan, stack: Stack, verdicts: list[Verdict]) -> None:
    """Star imports that work become imports of the names the file uses through them."""
    for verdict in verdicts:
        ref = verdict.ref
        used = sorted(plan.scan.star_uses.get(ref.statement, ()))
        if ref.kind != "star" or verdict.status == "fails" or not used:
            continue
        if family(ref.path) not in ("keras", "tf.keras", "tensorflow"):
            continue
        paths = [f"{ref.path}.{name}" for name in used]
        if not all(a["ok"] for a in stack.resolve([{"kind": "chain", "path": p} for p in paths])):
            continue  # the probe listed them, so this is a safeguard
        modules: dict[str, list[tuple[str, str | None]]] = {}
        for name, old in zip(used, paths, strict=True):
            new = twin(old) if family(old) == "tf.keras" else None
            same = False
            if new is not None:
                there, here = stack.resolve([{"kind": "chain", "path": p} for p in (old, new)])
                same = here["ok"] and here["id"] == there["id"]
            modules.setdefault(new.rpartition(".")[0] if same else ref.path, []).append(
                (name, None)
            )
            if new is not None and not same:
                plan.manual.append(
                    (
                        ref.line,
                        f"legacy: `{old}` resolves only through the tf.keras compatibility "
                        f"surface: `{new}` is not the same object (it is imported by name now)",
                    )
                )
        plan.imports[ref.statement] = [("from", m, names) for m, names in modules.items()]
        lines = [render("from", m, names) for m, names in modules.items()]
        plan.rewrites.append((ref.line, plan.scan.statements[ref.statement], "; ".join(lines)))


def branch_statements(branch: Branch) -> set[int]:
    found = set(branch.statements)
    for nested in branch.nested:
        for inner in nested.branches:
            found |= branch_statements(inner)
    return found


def plan_fallbacks(plan: Plan, verdicts: list[Verdict], versions: dict[str, str]) -> set[int]:
    """Import fallbacks that fail as a whole (``stackguard.fallbacks``): the first branch
    whose failing imports all have a verified replacement is written, unguarded; a ``try``
    of nothing but imports becomes that branch. Others are reported. Returns the numbers of
    the import statements these fallbacks hold."""
    handled: set[int] = set()
    for issue in judge_fallbacks(plan.scan, verdicts, versions, fixable):
        fallback = issue.fallback
        for branch in fallback.branches:
            handled |= branch_statements(branch)
        if issue.chosen is None:
            plan.manual.append((issue.first.ref.line, issue.message))
            continue
        for verdict in verdicts:
            if verdict.ref.statement in issue.chosen.statements:
                verdict.ref = dataclasses.replace(verdict.ref, guarded=False)
        if fallback.only_imports:
            index = fallback.branches.index(issue.chosen)
            plan.collapse[(fallback.line, fallback.col)] = (index, issue.chosen.statements)
        else:
            plan.notes.append(
                (
                    fallback.line,
                    "note: this try keeps other code, so it stays; its alternative "
                    "that can work is rewritten in place",
                )
            )
    return handled


def render(kind: str, module: str, names: list[tuple[str, str | None]]) -> str:
    listed = ", ".join(name + (f" as {alias}" if alias else "") for name, alias in names)
    return f"import {listed}" if kind == "import" else f"from {module} import {listed}"


def spell(new: str, root: str, bindings: dict[str, str]) -> tuple[str | None, bool]:
    """Write the dotted path ``new`` through a name the file binds to it (or to a prefix).

    Prefers the chain's own ``root``, then the most specific binding. Returns ``(text,
    needs_import_keras)``, or ``(None, False)`` when no name can reach it: the name ``keras``
    is bound to something else (``from tensorflow import keras`` kept as legacy).
    """
    reaching = [
        (name == root, len(path), name)
        for name, path in bindings.items()
        if new == path or new.startswith(path + ".")
    ]
    if reaching:
        _, _, name = max(reaching)
        return name + new[len(bindings[name]) :], False
    if new.split(".")[0] == "keras" and bindings.get("keras", "keras") == "keras":
        return new, "keras" not in bindings
    return None, False


def plan_chains(plan: Plan, verdicts: list[Verdict], bindings: dict[str, str]) -> None:
    for verdict in verdicts:
        ref = verdict.ref
        if ref.kind != "chain" or not applies(verdict):
            continue
        text, needs_keras = spell(verdict.new, ref.root, bindings)
        if text is None and verdict.status == "prefer":
            continue  # works as it is; its import's legacy finding says why it stays
        if text is None:
            plan.manual.append(
                (
                    ref.line,
                    f"`{ref.text}`: use `{verdict.new}` (not rewritten: the name "
                    f"`{verdict.new.split('.')[0]}` is bound to something else here)",
                )
            )
            continue
        if text == ref.text:
            continue  # already right once its import is rewritten
        plan.needs_keras = plan.needs_keras or needs_keras
        plan.chains[(ref.line, ref.col)] = text
        plan.rewrites.append((ref.line, ref.text, text))


def plan_calls(plan: Plan, stack: Stack, verdicts: list[Verdict], bindings: dict[str, str]) -> None:
    """Keyword and method fixes (``stackguard.calls``), each checked against the stack."""
    for issue in judge_calls(plan.scan, stack, verdicts):
        if issue.edit is None:
            plan.manual.append((issue.line, issue.message))
            continue
        kind, where, new = issue.edit
        if kind == "schedule":
            plan_schedule(plan, issue, new, bindings)
            continue
        (plan.keywords if kind == "keyword" else plan.methods)[where] = new
        plan.rewrites.append((issue.line, issue.old, issue.new))


def numeric(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def plan_schedule(plan: Plan, issue, default: str, bindings: dict[str, str]) -> None:
    """An optimizer's ``decay=`` becomes ``learning_rate=InverseTimeDecay(lr, decay_steps=1,
    decay_rate=decay)`` (Keras 2's ``lr / (1 + decay * iterations)``; the equivalence is
    proven in ``tests/test_advice.py``), when the rate and the decay are number literals;
    else it is reported."""
    call = issue.call
    node = next(
        (
            n
            for n in ast.walk(ast.parse(plan.source))
            if isinstance(n, ast.Call) and (n.lineno, char_col(plan, n)) == (call.line, call.col)
        ),
        None,
    )
    text, needs_keras = spell(SCHEDULE, "keras", bindings)
    keywords = {k.arg: k.value for k in node.keywords} if node else {}
    rate = keywords.get("learning_rate", keywords.get("lr"))
    if rate is None and node is not None and node.args and not keywords.keys() & {"lr"}:
        rate = node.args[0]
    given = rate is not None
    try:
        float(default) if not given else None
    except ValueError:
        default = None
    if (
        node is None
        or text is None
        or not numeric(keywords.get("decay"))
        or (given and not numeric(rate))
        or (not given and default is None)
        or any(isinstance(a, ast.Starred) for a in node.args)
        or None in keywords
    ):
        plan.manual.append((issue.line, issue.message))
        return
    plan.needs_keras = plan.needs_keras or needs_keras
    plan.schedules[(call.line, call.col)] = (text, None if given else default)
    plan.rewrites.append((issue.line, "decay=", f"learning_rate={text}(..., decay_steps=1, ...)"))


def char_col(plan: Plan, node: ast.AST) -> int:
    line = plan.source.splitlines()[node.lineno - 1]
    return len(line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="replace"))


class Rewriter(cst.CSTTransformer):
    """Applies a Plan's edits, found by their source positions."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, plan: Plan, statement_lines: dict[tuple[int, int], int]) -> None:
        super().__init__()
        self.plan = plan
        self.statement_lines = statement_lines

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        position = self.get_metadata(PositionProvider, node).start
        return position.line, position.column

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) != 1 or not isinstance(updated.body[0], (cst.Import, cst.ImportFrom)):
            return updated
        number = self.statement_lines.get(self.start(original.body[0]))
        if number is None or number not in self.plan.imports:
            return updated
        plans = self.plan.imports[number]
        statement = updated.body[0]
        if len(plans) == 1 and in_place(statement, plans[0]):
            kind, module, names = plans[0]
            aliases = [
                alias.with_changes(
                    name=cst.parse_expression(name),
                    asname=cst.AsName(name=cst.Name(asname)) if asname else None,
                )
                for alias, (name, asname) in zip(statement.names, names, strict=True)
            ]
            changes = {"names": aliases}
            if kind == "from":
                changes["module"] = cst.parse_expression(module)
            return updated.with_changes(body=[statement.with_changes(**changes)])
        new = [cst.parse_statement(render(*plan)) for plan in plans]
        new[0] = new[0].with_changes(leading_lines=updated.leading_lines)
        new[-1] = new[-1].with_changes(trailing_whitespace=updated.trailing_whitespace)
        return cst.FlattenSentinel(new) if len(new) > 1 else new[0]

    def leave_Try(self, original, updated):
        line, col = self.start(original)
        if (line, col) not in self.plan.collapse:
            return updated
        index, numbers = self.plan.collapse[(line, col)]
        block = updated.body if index == 0 else updated.handlers[index - 1].body
        kept = [
            statement
            for statement in block.body
            if not (
                isinstance(statement, cst.SimpleStatementLine)
                and all(isinstance(small, cst.Pass) for small in statement.body)
            )
        ]
        old = "try: ... except ImportError: ..."
        new = "; ".join(cst.Module(body=[statement]).code.strip() for statement in kept)
        self.plan.rewrites.append((line, old, new))
        if not kept:
            return cst.RemovalSentinel.REMOVE
        kept[0] = kept[0].with_changes(leading_lines=original.leading_lines)
        return cst.FlattenSentinel(kept)

    def leave_Call(self, original, updated):
        key = self.start(original)
        if key not in self.plan.schedules:
            return updated
        schedule, default = self.plan.schedules[key]
        args = list(updated.args)
        decay = next(a for a in args if a.keyword is not None and a.keyword.value == "decay")
        last = decay is args[-1]
        args.remove(decay)
        rate = next(
            (
                a
                for a in args
                if a.keyword is not None and a.keyword.value in ("learning_rate", "lr")
            ),
            args[0] if default is None else None,
        )
        rate_code = default if rate is None else cst.Module(body=[]).code_for_node(rate.value)
        decay_code = cst.Module(body=[]).code_for_node(decay.value)
        value = cst.parse_expression(
            f"{schedule}({rate_code}, decay_steps=1, decay_rate={decay_code})"
        )
        if rate is None:
            tight = cst.SimpleWhitespace("")
            equal = cst.AssignEqual(whitespace_before=tight, whitespace_after=tight)
            args.append(cst.Arg(keyword=cst.Name("learning_rate"), value=value, equal=equal))
        else:
            args[args.index(rate)] = rate.with_changes(value=value)
        if last:  # the last argument ends as the removed one did (its comma, its newline)
            args[-1] = args[-1].with_changes(comma=decay.comma)
        return updated.with_changes(args=args)

    def leave_Attribute(self, original, updated):
        key = self.start(original)
        if key in self.plan.chains:
            return cst.parse_expression(self.plan.chains[key])
        name_key = self.start(original.attr)
        if name_key in self.plan.methods:
            return updated.with_changes(attr=cst.Name(self.plan.methods[name_key]))
        return updated

    def leave_Arg(self, original, updated):
        if original.keyword is not None:
            key = self.start(original.value)
            if key in self.plan.keywords:
                return updated.with_changes(keyword=cst.Name(self.plan.keywords[key]))
        return updated


def in_place(statement: cst.BaseSmallStatement, plan: tuple) -> bool:
    """Whether a one-statement plan keeps the statement's kind and number of names."""
    kind, _, names = plan
    expected = cst.ImportFrom if kind == "from" else cst.Import
    return (
        isinstance(statement, expected)
        and not isinstance(statement.names, cst.ImportStar)
        and len(statement.names) == len(names)
    )


def apply(plan: Plan) -> str:
    """The new source. Raises libcst.ParserSyntaxError when libcst cannot parse the file."""
    module = cst.parse_module(plan.source)
    statement_lines = {}
    for ref in plan.scan.refs:
        if ref.statement > 0:
            statement_lines[(ref.line, ref.col)] = ref.statement
    wrapper = MetadataWrapper(module)
    new = wrapper.visit(Rewriter(plan, statement_lines))
    if plan.needs_keras:
        context = CodemodContext()
        AddImportsVisitor.add_needed_import(context, "keras")
        new = AddImportsVisitor(context).transform_module(new)
    return new.code


def failing_targets(verdicts: list[Verdict]) -> set[str]:
    return {v.ref.target for v in verdicts if v.status == "fails" and v.ref.kind != "chain"}


def migrate_file(
    path: Path, stack: Stack, judge: Judge, versions: dict[str, str]
) -> tuple[Plan, str]:
    """Plan, apply and verify one file; returns (plan, new source)."""
    source = path.read_text(encoding="utf-8")
    scan_ = scan_source(source, path, resolver=stack)
    verdicts = judge.judge([scan_])[scan_]
    plan = Plan(scan_, source)
    handled = plan_fallbacks(plan, verdicts, versions)
    bindings = plan_imports(plan, verdicts)
    plan_stars(plan, stack, verdicts)
    plan_chains(plan, verdicts, bindings)
    plan_calls(plan, stack, verdicts, bindings)
    for line, _, name in sorted(scan_.unknown):
        plan.manual.append(
            (
                line,
                f"`{name}` is bound to different objects in different branches here: "
                "this use was not judged; check it by hand",
            )
        )
    for verdict in verdicts:
        if verdict.ref.kind == "star" and verdict.ref.statement in plan.imports:
            continue  # rewritten into the names it binds (plan_stars)
        if verdict.ref.statement in handled:
            continue  # in a fallback that fails as a whole: rewritten or reported above
        if applies(verdict) and verdict.status == "stale":
            plan.notes.append(
                (
                    verdict.ref.line,
                    f"note: `{verdict.ref.target}` -> `{verdict.new}`: {STALE_NOTE}",
                )
            )
            continue
        if (
            applies(verdict)
            and verdict.status != "fails"
            or verdict.covered
            and verdict.status != "legacy"
        ):
            continue
        if verdict.status == "fails" and verdict.ref.guarded:
            plan.notes.append(
                (
                    verdict.ref.line,
                    f"note: `{verdict.ref.text}` fails ({verdict.error}); it is guarded by "
                    "try/except ImportError or a version check, so it is left as is",
                )
            )
            continue
        described = describe(verdict, versions)
        if described is None:
            continue
        if applies(verdict) and verdict.status == "fails":
            if family(verdict.new) == "tf.keras":
                plan.manual.append(
                    (
                        verdict.ref.line,
                        f"`{verdict.ref.text}`: now through the tf.keras compatibility surface "
                        f"(legacy); {verdict.advice or 'move to a keras path when you can'}",
                    )
                )
            continue
        plan.manual.append((verdict.ref.line, described[1]))
    if not plan.rewrites and not plan.collapse:
        return plan, source
    new_source = apply(plan)
    ast.parse(new_source)  # the output still parses, or this raises
    new_scan = scan_source(new_source, path, resolver=stack)
    after = judge.judge([new_scan])[new_scan]
    broken = failing_targets(after) - failing_targets(verdicts)
    if broken:
        plan.manual.append(
            (
                1,
                "rewrite not verified (it would make "
                + ", ".join(sorted(broken))
                + " fail); file left untouched",
            )
        )
        plan.rewrites.clear()
        return plan, source
    return plan, new_source


def main(argv: list[str] | None = None, stack: Stack | None = None) -> int:
    """The command line; ``stack`` reuses a running probe (tests), else one is started."""
    parser = argparse.ArgumentParser(
        description="Migrate legacy Keras code to the installed stack."
    )
    parser.add_argument(
        "paths", nargs="*", default=["src", "tests"], help="Python files or folders"
    )
    parser.add_argument("--check", action="store_true", help="report only; write nothing")
    args = parser.parse_args(argv)
    files = python_files(args.paths, suffixes=(".py",))
    changed = manual = unparsable = 0
    try:
        with contextlib.nullcontext(stack) if stack else Stack() as stack:
            judge, versions = Judge(stack), stack.versions()
            for path in files:
                try:
                    plan, new_source = migrate_file(path, stack, judge, versions)
                except (SyntaxError, cst.ParserSyntaxError, UnicodeDecodeError, OSError) as error:
                    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
                    print(
                        f"{path}:1: cannot parse as Python 3 ({type(error).__name__}: {first}); "
                        "left untouched"
                    )
                    unparsable += 1
                    continue
                for line, old, new in sorted(plan.rewrites):
                    print(f"{path}:{line}: {old} -> {new}")
                for line, message in sorted(set(plan.manual) | set(plan.notes)):
                    print(f"{path}:{line}: {message}")
                manual += len(set(plan.manual))
                if new_source != plan.source:
                    changed += 1
                    if not args.check:
                        path.write_text(new_source, encoding="utf-8")
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "would rewrite" if args.check else "rewrote"
    print(
        f"migrate: {verb} {changed} file(s); {manual} manual fix(es) left; "
        f"{unparsable} file(s) could not be parsed"
    )
    return 1 if (args.check and changed) or manual or unparsable else 0


if __name__ == "__main__":
    sys.exit(main())
