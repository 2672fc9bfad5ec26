"""Judge what code asks of the stack, from the installed stack's own answers.

For every reference that ``references.scan`` found, ``judge`` asks ``stack.Stack`` (one
probe process) whether it resolves and to which object, and gives one ``Verdict``:

- ``ok``: resolves on a canonical path (``keras.*``, ``tensorflow.*`` outside its Keras
  copies, any other installed module);
- ``prefer``: resolves through ``tensorflow.keras`` to the very object ``keras.<path>``
  resolves to (for a module: every member the code uses from it is the same object); the
  fix is the ``keras`` path, since static tools cannot resolve ``tensorflow.keras``;
- ``legacy``: resolves only through the tf.keras compatibility surface
  (``keras._tf_keras.keras``) or through a ``legacy`` path of Keras 3; the replacement, if
  the stack has one, is named but not the same object;
- ``stale``: resolves in ``tensorflow.python.keras``, TensorFlow's internal Keras 2 copy,
  whose objects are not Keras 3's;
- ``private``: resolves in ``keras.src``;
- ``fails``: does not resolve; the replacement is the same name found elsewhere in the
  public API (``keras`` first, preferring the old path's module family; then the tf.keras
  surface), a module holding every member the code uses from a dead module, or advice
  from ``advice.ADVICE`` when no name survives.

Every replacement named here was resolved by the probe: no verdict advises a path that
does not resolve.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .advice import ADVICE
from .references import Ref, Scan, search_dirs
from .stack import Stack

TWIN_PREFIXES = (
    ("tensorflow.python.keras", "keras"),
    ("tensorflow.compat.v1.keras", "keras"),
    ("tensorflow.compat.v2.keras", "keras"),
    ("tensorflow.keras", "keras"),
    ("tf_keras", "keras"),
    ("keras.api._v2.keras", "keras"),
    ("keras.api._v1.keras", "keras"),
    ("keras.api.keras", "keras"),
    ("keras.api", "keras"),
)


def family(path: str) -> str:
    """Which surface a dotted path belongs to (see the module docstring)."""
    parts = path.split(".")
    if parts[0] == "keras":
        return {"src": "private", "api": "keras-api"}.get(
            parts[1] if len(parts) > 1 else "", "keras"
        )
    if parts[0] == "tf_keras":
        return "tf_keras"
    if parts[0] == "tensorflow":
        if parts[1:3] == ["python", "keras"]:
            return "tf-internal"
        if parts[1:2] == ["keras"] or (parts[1:2] == ["compat"] and parts[3:4] == ["keras"]):
            return "tf.keras"
        return "tensorflow"
    return "other"


def twin(path: str) -> str | None:
    """The plain ``keras`` path of a path in another Keras surface, or None."""
    for old, new in TWIN_PREFIXES:
        if path == old or path.startswith(old + "."):
            return new + path[len(old) :]
    return None


def is_legacy_path(path: str) -> bool:
    return family(path) == "keras" and "legacy" in path.split(".")


def common_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        count += 1
    return count


@dataclass
class Verdict:
    """What the stack says of one reference, and the verified fix if there is one.

    ``new`` is the replacement's full dotted path (for a ``from`` import, module and name);
    ``same_object`` is True only when the probe found the old and new paths to be the same
    object (so a codemod may apply it to working code). ``covered`` marks a chain whose
    fix is its import statement's (the statement moves to a module that has the member).
    ``movable`` marks a ``stale`` reference whose file can leave the stale copy entirely:
    every stale reference of the file has a replacement in plain ``keras``.
    """

    ref: Ref
    status: str
    error: str = ""
    resolved: dict = field(default_factory=dict)
    new: str | None = None
    new_is_module: bool = False
    same_object: bool = False
    advice: str = ""
    note: str = ""
    covered: bool = False
    movable: bool = False


def query(ref: Ref, dirs: list[str], path: str | None = None) -> dict:
    path = path or ref.path
    if ref.kind == "from":
        return {"kind": "from", "path": path, "name": ref.name, "dirs": dirs}
    if ref.kind in ("import", "star"):
        return {"kind": "module", "path": path, "dirs": dirs}
    return {"kind": "chain", "path": path, "dirs": dirs}


class Judge:
    """Verdicts for the references of many files, from one ``Stack``."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def candidates_for(
        self, old: str, leaf: str, tiers: tuple[str, ...]
    ) -> tuple[str | None, list[str]]:
        """The best public path named ``leaf`` for the dead path ``old``.

        Returns ``(path, [])`` when one object wins, ``(None, options)`` when several
        different objects tie, ``(None, [])`` when the name is nowhere.
        """
        found = self.stack.candidates([leaf]).get(leaf, [])
        norm = twin(old) or old
        norm_parent = norm.rpartition(".")[0]
        for tier in tiers:
            pool = [c for c in found if tier_of(c["path"]) == tier]
            if not pool:
                continue

            def score(c: dict) -> tuple:
                parent = c["path"].rpartition(".")[0]
                return (common_prefix(norm_parent, parent), -c["path"].count("."))

            best = max(score(c) for c in pool)
            top = sorted((c for c in pool if score(c) == best), key=lambda c: c["path"])
            if len({c["id"] for c in top}) == 1:
                return top[0]["path"], []
            return None, [c["path"] for c in top]
        return None, []

    def judge(self, scans: list[Scan]) -> dict[Scan, list[Verdict]]:
        """One verdict per reference of every scan, in source order."""
        queries, twins = [], []
        for scan in scans:
            dirs = search_dirs(scan.path)
            for ref in scan.refs:
                queries.append(query(ref, dirs))
                other = twin(ref.target)
                twins.append({"kind": "chain", "path": other, "dirs": dirs} if other else None)
        answers = self.stack.resolve(queries)
        twin_answers = self.stack.resolve([t for t in twins if t])
        twin_iter = iter(twin_answers)
        paired = [(a, next(twin_iter) if t else None) for a, t in zip(answers, twins, strict=True)]
        result: dict[Scan, list[Verdict]] = {}
        position = 0
        for scan in scans:
            pairs = paired[position : position + len(scan.refs)]
            position += len(scan.refs)
            result[scan] = self.judge_scan(scan, pairs)
        return result

    def judge_scan(self, scan: Scan, pairs: list[tuple[dict, dict | None]]) -> list[Verdict]:
        verdicts = [
            self.first_verdict(ref, answer, twin_answer)
            for ref, (answer, twin_answer) in zip(scan.refs, pairs, strict=True)
        ]
        uses: dict[str, list[Verdict]] = defaultdict(list)
        for verdict in verdicts:
            if verdict.ref.kind == "chain":
                uses[verdict.ref.root].append(verdict)
        for verdict in verdicts:
            ref = verdict.ref
            if ref.kind in ("import", "from") and ref.binding in uses:
                if ref.kind == "import" and not ref.asname:
                    continue  # `import a.b` binds `a`: its uses are judged as chains
                bound = ref.bound_path
                mine = [
                    use
                    for use in uses[ref.binding]
                    if use.ref.path == bound or use.ref.path.startswith(bound + ".")
                ]  # the name may be bound by another import elsewhere in the file
                if mine:
                    self.judge_module_binding(scan, verdict, mine)
        for verdict in verdicts:
            if verdict.status == "fails" and not verdict.new and not verdict.covered:
                self.find_replacement(verdict)
            elif verdict.status in ("legacy", "stale") and not verdict.new:
                self.find_replacement(verdict)
        stale = [v for v in verdicts if v.status == "stale" and not v.covered]
        if all(v.new and tier_of(v.new) == "keras" for v in stale):
            for verdict in stale:
                verdict.movable = True
        return verdicts

    def first_verdict(self, ref: Ref, answer: dict, twin_answer: dict | None) -> Verdict:
        target = ref.target
        fam = family(target)
        if not answer["ok"]:
            verdict = Verdict(ref, "fails", error=answer["error"])
            if twin_answer and twin_answer.get("ok") and fam not in ("keras",):
                verdict.new = twin(target)
                verdict.new_is_module = twin_answer["kind"] == "module"
            return verdict
        verdict = Verdict(ref, "ok", resolved=answer)
        if answer.get("local"):
            return verdict
        if fam == "keras" and is_legacy_path(target):
            verdict.status = "legacy"
            verdict.note = (
                f"`{target}` is a legacy path of Keras 3: it resolves to "
                f"`{answer.get('module', '?')}.{answer.get('name', '?')}`"
            )
        elif fam == "private":
            verdict.status = "private"
            self.find_public_twin(verdict)
        elif fam in ("tf.keras", "keras-api", "tf_keras"):
            same = (
                twin_answer is not None
                and twin_answer.get("ok")
                and twin_answer["id"] == answer["id"]
            )
            if same:
                verdict.status, verdict.new, verdict.same_object = "prefer", twin(target), True
                verdict.new_is_module = answer["kind"] == "module"
            elif answer["kind"] == "module" and twin_answer is not None and twin_answer.get("ok"):
                # Different module objects: judged by the members the code uses (below).
                verdict.status, verdict.new, verdict.new_is_module = "prefer", twin(target), True
            else:
                verdict.status = "legacy"
                verdict.note = (
                    f"`{target}` resolves only through the tf.keras compatibility surface "
                    f"(`keras._tf_keras.keras`): `{twin(target)}` "
                    + (
                        "resolves to another object"
                        if twin_answer and twin_answer.get("ok")
                        else "does not resolve"
                    )
                )
        elif fam == "tf-internal":
            verdict.status = "stale"
            other = twin(target)
            if twin_answer is not None and twin_answer.get("ok"):
                verdict.new = other
                verdict.new_is_module = twin_answer["kind"] == "module"
            verdict.note = f"`{target}` is TensorFlow's internal Keras 2 copy, not Keras 3: " + (
                f"its objects are not `{other}`'s, and mixing them with Keras 3 raises TypeError"
                if verdict.new
                else f"`{other}` does not exist in Keras 3"
            )
        return verdict

    def find_public_twin(self, verdict: Verdict) -> None:
        """For ``keras.src`` paths: the public path of the same object, if there is one."""
        leaf = verdict.ref.target.rpartition(".")[2]
        for candidate in self.stack.candidates([leaf]).get(leaf, []):
            if candidate["id"] == verdict.resolved["id"] and tier_of(candidate["path"]) == "keras":
                verdict.new, verdict.same_object = candidate["path"], True
                verdict.new_is_module = candidate["kind"] == "module"
                return

    def judge_module_binding(self, scan: Scan, verdict: Verdict, used: list[Verdict]) -> None:
        """A module bound by ``import a.b as x`` / ``from a import b``: judge it by its uses."""
        ref = verdict.ref
        members = sorted({use.ref.path[len(ref.bound_path) + 1 :].split(".")[0] for use in used})
        if verdict.status == "prefer" and verdict.new_is_module:
            legacy = [use for use in used if use.status in ("legacy", "fails")]
            if legacy:
                verdict.status = "legacy"
                verdict.same_object = False
                names = ", ".join(sorted({use.ref.text for use in legacy}))
                verdict.note = (
                    f"`{ref.target}` is used for members that plain `{verdict.new}` does not have "
                    f"as the same object: {names}"
                )
                verdict.new = None
            else:
                verdict.same_object = ref.binding not in scan.bare_uses and all(
                    use.status == "prefer" for use in used
                )
                for use in used:
                    use.covered = True
        elif verdict.status == "stale" and verdict.new_is_module:
            lost = [use for use in used if use.status in ("stale", "fails") and not use.new]
            if lost:
                names = ", ".join(sorted({use.ref.text for use in lost}))
                verdict.note += f"; `{verdict.new}` lacks members the code uses: {names}"
                verdict.new = None
            else:
                for use in used:
                    use.covered = True
        elif verdict.status == "fails" and not verdict.new:
            modules = self.stack.modules_with(members) if members else []
            best = self.best_module(ref.target, modules)
            if best:
                verdict.new, verdict.new_is_module = best, True
                for use in used:
                    use.covered = True

    def best_module(self, old: str, modules: list[str]) -> str | None:
        norm = twin(old) or old
        for tier in ("keras", "tf.keras"):
            pool = [m for m in modules if tier_of(m) == tier]
            if pool:
                return max(pool, key=lambda m: (common_prefix(norm, m), -m.count("."), m))
        return None

    def find_replacement(self, verdict: Verdict) -> None:
        target = verdict.ref.target
        leaf = target.rpartition(".")[2]
        fam = family(target)
        if fam == "other":
            return
        if fam == "tensorflow":
            tiers: tuple[str, ...] = ("tf.compat.v1",)
        elif verdict.status == "legacy":
            tiers = ("keras",)
        else:
            tiers = ("keras", "tf.keras")
        if verdict.ref.kind == "import" and verdict.status == "fails" and not verdict.ref.asname:
            self.find_importable_prefix(verdict)
        else:
            new, options = self.candidates_for(target, leaf, tiers)
            if new:
                verdict.new = new
                verdict.new_is_module = False
            elif options:
                verdict.advice = "one of " + ", ".join(f"`{o}`" for o in options[:4])
        if leaf in ADVICE and (not verdict.new or tier_of(verdict.new) != "keras"):
            verdict.advice = ADVICE[leaf][0]

    def find_importable_prefix(self, verdict: Verdict) -> None:
        """``import a.b.c`` that fails: the longest prefix module that imports."""
        parts = verdict.ref.path.split(".")
        for end in range(len(parts) - 1, 0, -1):
            path = ".".join(parts[:end])
            (answer,) = self.stack.resolve([{"kind": "module", "path": path, "dirs": None}])
            if answer["ok"]:
                if end > 1:
                    verdict.new, verdict.new_is_module = path, True
                return


def tier_of(path: str) -> str:
    if path.startswith("tensorflow.compat.v1."):
        return "tf.compat.v1"
    if is_legacy_path(path):
        return "keras-legacy"
    return family(path)


def fixable(verdict: Verdict) -> bool:
    """Whether a failing import has a verified replacement that ``make migrate`` writes
    where the import is not guarded (``migrate.applies``): a public path, not TF1's."""
    return (
        verdict.ref.kind != "chain"
        and verdict.status == "fails"
        and verdict.new is not None
        and tier_of(verdict.new) != "tf.compat.v1"
    )


def statement_of(verdict: Verdict) -> str | None:
    """The replacement import statement (or expression, for a chain) as source text."""
    ref, new = verdict.ref, verdict.new
    if new is None:
        return None
    if ref.kind == "chain":
        return express(ref, new)
    if ref.kind == "import":
        return f"import {new}" + (f" as {ref.asname}" if ref.asname else "")
    if ref.kind == "star":
        return f"from {new} import *"
    module, _, name = new.rpartition(".")
    binding = ref.binding
    if not module:
        return f"import {name}" + (f" as {binding}" if binding != name else "")
    return f"from {module} import {name}" + (f" as {binding}" if binding != name else "")


def express(ref: Ref, new: str) -> str:
    """Write the dotted path ``new`` through the chain's own root name when it can."""
    rest = ref.text[len(ref.root) :]
    bound = ref.path[: len(ref.path) - len(rest)] if rest else ref.path
    if new == bound or new.startswith(bound + "."):
        return ref.root + new[len(bound) :]
    return new


def describe(verdict: Verdict, versions: dict[str, str]) -> tuple[str, str] | None:
    """``(severity, message)`` for a verdict that is a finding, or None."""
    ref = verdict.ref
    what = f"`{ref.text}`" if ref.kind == "chain" else f"`{ref.target}` (`{ref.text}`)"
    fix = statement_of(verdict)
    if verdict.status == "ok" or verdict.covered and verdict.status in ("prefer", "fails"):
        return None
    if verdict.status == "fails" and ref.guarded:
        return None  # inside try/except ImportError: the code handles the failure
    if verdict.status == "fails":
        error = verdict.error
        if verdict.resolved.get("local") is False or (
            family(ref.target) == "other" and "No module named" in error
        ):
            top = ref.target.split(".")[0]
            return (
                "error",
                f"{what} fails ({error}): `{top}` is not installed in this venv, so it is not "
                "in the lock; add its distribution to requirements/cpu.in, then run make lock "
                "&& make install",
            )
        message = f"{what} fails ({error})"
        if fix:
            surface = (
                " through the tf.keras compatibility surface (legacy)"
                if tier_of(verdict.new) == "tf.keras"
                else ""
            )
            message += f"; it resolves as `{fix}`{surface}"
        if verdict.advice:
            message += f"; {verdict.advice}"
        if not fix and not verdict.advice:
            message += (
                f"; no public path named `{ref.target.rpartition('.')[2]}` in Keras "
                f"{versions.get('keras', '?')} or TensorFlow {versions.get('tensorflow', '?')}"
            )
        return "error", message
    if verdict.status == "prefer":
        return (
            "warning",
            f"{what} resolves through `tensorflow.keras` to the same object as `{verdict.new}`: "
            f"prefer `{fix}` (static tools cannot resolve `tensorflow.keras`)",
        )
    if verdict.status == "private":
        text = f"{what} is Keras's private implementation (`keras.src`)"
        return "warning", text + (
            f": use `{fix}`, the same object" if fix else "; it may change without notice"
        )
    severity = "error" if verdict.status == "stale" else "warning"
    message = f"{verdict.note}"
    if verdict.status == "legacy":
        message = f"legacy: {message}"
    if fix and verdict.new != ref.target:
        message += f"; use `{fix}` (Keras 3; not the same object, so check the arguments)"
    if verdict.advice:
        message += f"; {verdict.advice}"
    return severity, message
