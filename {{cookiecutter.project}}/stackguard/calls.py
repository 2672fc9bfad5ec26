"""Judge the calls a file makes, from the installed stack's own answers.

Three kinds of call break right after the imports are fixed; ``judge_calls`` finds them
for ``make check-imports`` (findings) and ``make migrate`` (rewrites and manual fixes):

- a keyword that a Keras class accepts and then drops with a warning (``decay`` of every
  optimizer, ``Embedding(input_length=)``): found by building the class in the probe
  (``probe.dropped_keywords``), reported as a warning with the meaning lost and the Keras 3
  equivalent (``advice.DROPPED_ADVICE``); ``make migrate`` rewrites an optimizer's
  ``decay`` into an ``InverseTimeDecay`` schedule, an equivalence ``tests/test_advice.py``
  checks numerically;
- a keyword that a public Keras class or ``keras.applications`` model does not accept
  (``probe.call_keywords``: the MRO's ``__init__`` signatures, what they pop from
  ``**kwargs``, and ``keras.Model``'s ``__new__`` dispatch). The successor is named when
  ``advice.KEYWORD_SUCCESSORS`` has one and the probe accepts the call with it; it is
  rewritten only when the meaning is the same (``Adam(lr=)`` -> ``learning_rate=``,
  ``Model(input=, output=)`` -> ``inputs=``/``outputs=``);
- Keras 2 ``Model`` spellings on any receiver: ``fit_generator`` & co. (rewritten to
  ``fit``/``evaluate``/``predict`` when the installed ``keras.Model`` has the one and not
  the other), ``nb_epoch=`` (rewritten), and ``workers=``/``use_multiprocessing=``/
  ``max_queue_size=`` passed to ``fit`` (they belong to ``PyDataset.__init__``);
- a method that the installed ``keras.Model`` lacks and Keras 2's had
  (``probe.removed_methods``), called on a name bound to a Keras model: assigned from a
  Keras model class, a ``keras.applications`` model, ``keras.saving.load_model``, or a
  function of the file that returns such a name (``model = build_model()``).

Calls whose failure the code expects (``with pytest.raises(...)``, ``try``/``except
TypeError``) are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from .advice import DROPPED_ADVICE, KEYWORD_RENAMES, KEYWORD_SUCCESSORS, METHOD_ADVICE
from .references import CallRef, Scan
from .stack import Stack
from .verdicts import Verdict

GENERATOR_METHODS = {
    "fit_generator": "fit",
    "evaluate_generator": "evaluate",
    "predict_generator": "predict",
}
MODEL_METHODS = ("fit", "evaluate", "predict", *GENERATOR_METHODS)
PYDATASET_KEYWORDS = ("workers", "use_multiprocessing", "max_queue_size")
# Keyword arguments of Keras 2's fit/fit_generator that a plain `.fit(...)` of another
# library would not have: only these are judged on method calls of untyped receivers.
KERAS2_METHOD_KEYWORDS = (
    *PYDATASET_KEYWORDS,
    "nb_epoch",
    "samples_per_epoch",
    "nb_val_samples",
    "pickle_safe",
    "generator",
)
AUTO_KEYWORDS = {"nb_epoch": "epochs"}
SCHEDULE = "keras.optimizers.schedules.InverseTimeDecay"
MODEL_KINDS = ("model", "application", "load_model")


@dataclass
class CallIssue:
    """One call-level problem: where, what, and the verified edit if one is safe.

    ``edit`` is ``("keyword" | "method", (line, col), new name)``; ``old``/``new`` are the
    text of the rewrite (``lr=`` -> ``learning_rate=``) for migrate's report.
    """

    line: int
    col: int
    message: str
    edit: tuple[str, tuple[int, int], str] | None = None
    old: str = ""
    new: str = ""
    severity: str = "error"
    call: CallRef | None = None


def callee_paths(verdicts: list[Verdict]) -> dict[str, str]:
    """``{path as imported: path to judge}``: a failing or stale import's replacement."""
    moved = {}
    for verdict in verdicts:
        if verdict.status in ("fails", "stale") and verdict.new and not verdict.new_is_module:
            key = verdict.ref.bound_path if verdict.ref.kind == "from" else verdict.ref.path
            moved[key] = verdict.new
    return moved


def judged_path(path: str, moved: dict[str, str]) -> str:
    """``path`` through the replacement of its longest moved prefix."""
    for prefix in sorted(moved, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "."):
            return moved[prefix] + path[len(prefix) :]
    return path


def model_names(scan: Scan, stack: Stack, moved: dict[str, str]) -> set[str]:
    """Names bound to a Keras model anywhere in the file (flow-insensitive)."""
    paths = sorted({judged_path(p, moved) for _, p, _ in scan.assignments if p})
    answers = stack.resolve([{"kind": "chain", "path": path} for path in paths])
    kinds = {path: answer.get("keras_base") for path, answer in zip(paths, answers, strict=True)}
    bound = {
        name
        for name, path, _ in scan.assignments
        if path and kinds.get(judged_path(path, moved)) in MODEL_KINDS
    }
    while True:
        makers = {f for f, returned in scan.returns.items() if returned & bound}
        more = {name for name, _, local in scan.assignments if local in makers} - bound
        if not more:
            return bound
        bound |= more


def judge_calls(scan: Scan, stack: Stack, verdicts: list[Verdict]) -> list[CallIssue]:
    """Every call-level issue of one scanned file, in source order."""
    moved = callee_paths(verdicts)
    issues: list[CallIssue] = []
    calls = [call for call in scan.calls if not call.expected]
    constructors = [call for call in calls if call.callee is not None]
    queries = [
        {
            "path": judged_path(call.callee, moved),
            "positional": call.positional,
            "keywords": [k.name for k in call.keywords],
        }
        for call in constructors
    ]
    answers = stack.calls(queries)
    for call, query, answer in zip(constructors, queries, answers, strict=True):
        if answer["checked"] and answer["rejected"]:
            issues.extend(constructor_issues(stack, call, query, answer))
    probed = [
        (call, query, answer)
        for call, query, answer in zip(constructors, queries, answers, strict=True)
        if answer["checked"] and set(query["keywords"]) - set(answer["rejected"])
    ]
    drops = stack.dropped([query for _, query, _ in probed])
    for (call, query, answer), found in zip(probed, drops, strict=True):
        issues.extend(dropped_issues(call, query, answer, found))
    methods = [c for c in calls if c.method is not None and c.method in MODEL_METHODS]
    if methods:
        issues.extend(model_method_issues(stack, methods))
    models = model_names(scan, stack, moved)
    others = [
        c
        for c in calls
        if c.method is not None and c.method not in MODEL_METHODS and c.receiver in models
    ]
    if others:
        issues.extend(removed_method_issues(stack, others))
    return sorted(issues, key=lambda issue: (issue.line, issue.col))


def successor(answer: dict, keyword: str) -> tuple[str, bool, str] | None:
    leaf = answer["class"].rpartition(".")[2]
    return KEYWORD_SUCCESSORS.get((leaf, keyword)) or KEYWORD_SUCCESSORS.get(
        (answer["kind"], keyword)
    )


def constructor_issues(stack: Stack, call: CallRef, query: dict, answer: dict) -> list[CallIssue]:
    """A finding per rejected keyword; the successor when the probe accepts the call with it."""
    renames = {k: found[0] for k in answer["rejected"] if (found := successor(answer, k))}
    if renames:
        renamed = {**query, "keywords": [renames.get(k, k) for k in query["keywords"]]}
        (again,) = stack.calls([renamed])
        still = set(again["rejected"]) if again["checked"] else set()
        renames = {old: new for old, new in renames.items() if new not in still}
    issues = []
    for keyword in call.keywords:
        if keyword.name not in answer["rejected"]:
            continue
        message = (
            f"`{call.text}(..., {keyword.name}=...)`: `{query['path']}` does not accept "
            f"`{keyword.name}` (it raises at construction)"
        )
        new = renames.get(keyword.name)
        if new:
            _, same, differs = successor(answer, keyword.name)
            if same:
                message += f"; the Keras 3 argument is `{new}`, with the same meaning"
                issues.append(
                    CallIssue(
                        keyword.line,
                        keyword.col,
                        message,
                        ("keyword", (keyword.line, keyword.col), new),
                        f"{keyword.name}=",
                        f"{new}=",
                    )  # fmt: skip
                )
                continue
            message += f"; its successor is `{new}`, but not the same: {differs}"
        else:
            hint = KEYWORD_RENAMES.get(keyword.name)
            if hint in answer["accepted"]:
                message += f"; the Keras 3 argument is `{hint}`"
            else:
                message += "; remove it"
        issues.append(CallIssue(keyword.line, keyword.col, message))
    return issues


def dropped_advice(answer: dict, keyword: str) -> tuple[str, str, bool, tuple] | None:
    leaf = answer["class"].rpartition(".")[2]
    return DROPPED_ADVICE.get((leaf, keyword)) or DROPPED_ADVICE.get((answer["kind"], keyword))


def dropped_issues(call: CallRef, query: dict, answer: dict, found: dict) -> list[CallIssue]:
    """A warning per keyword the class accepts and drops (``probe.dropped_keywords``),
    unless its value is a literal that asks for nothing (``decay=0.0``: no decay then,
    none now)."""
    issues = []
    dropped = found["dropped"]
    for keyword in call.keywords:
        if keyword.name not in dropped or keyword.falsy:
            continue
        message = (
            f"`{call.text}(..., {keyword.name}=...)`: `{query['path']}` accepts "
            f'`{keyword.name}` and drops it (it warns: "{dropped[keyword.name]}")'
        )
        advice = dropped_advice(answer, keyword.name)
        edit = None
        if advice:
            message += f"; {advice[0]}; {advice[1]}"
            first = found.get("first") or [None, None]
            if advice[2] and keyword.name == "decay" and first[0] == "learning_rate":
                # migrate writes the schedule; the rate defaults to the constructor's own
                edit = ("schedule", (call.line, call.col), first[1])
        issue = CallIssue(keyword.line, keyword.col, message, edit, severity="warning", call=call)
        if edit:
            issue.old, issue.new = "decay=", SCHEDULE
        issues.append(issue)
    return issues


def model_method_issues(stack: Stack, calls: list[CallRef]) -> list[CallIssue]:
    """``fit_generator`` & co., and Keras 2 keywords of ``fit``/``evaluate``/``predict``."""
    model = dict(
        zip(
            MODEL_METHODS,
            stack.resolve([{"kind": "chain", "path": f"keras.Model.{m}"} for m in MODEL_METHODS]),
            strict=True,
        )
    )
    (pydataset,) = stack.resolve([{"kind": "chain", "path": "keras.utils.PyDataset"}])
    issues = []
    for call in calls:
        method = call.method
        target = GENERATOR_METHODS.get(method, method)
        if method in GENERATOR_METHODS:
            if model[method]["ok"] or not model[target]["ok"]:
                continue
            issues.append(
                CallIssue(
                    call.method_line,
                    call.method_col,
                    f"`{call.text}`: Keras 3's `keras.Model` has no `{method}`; "
                    f"`{target}` takes generators, PyDataset and tf.data",
                    ("method", (call.method_line, call.method_col), target),
                    f".{method}(",
                    f".{target}(",
                )  # fmt: skip
            )
        accepted = set(model[target].get("keywords") or ())
        if not accepted:
            continue
        for keyword in call.keywords:
            if keyword.name in accepted or (
                method not in GENERATOR_METHODS and keyword.name not in KERAS2_METHOD_KEYWORDS
            ):
                continue
            new = AUTO_KEYWORDS.get(keyword.name) or (
                "x" if keyword.name == "generator" and method in GENERATOR_METHODS else None
            )
            where = (keyword.line, keyword.col)
            prefix = f"`{target}(..., {keyword.name}=...)`: Keras 3's `Model.{target}`"
            if new and new in accepted:
                issues.append(
                    CallIssue(
                        *where,
                        f"{prefix} calls it `{new}`, with the same meaning",
                        ("keyword", where, new),
                        f"{keyword.name}=",
                        f"{new}=",
                    )  # fmt: skip
                )
            elif keyword.name in PYDATASET_KEYWORDS and keyword.name in (
                pydataset.get("keywords") or ()
            ):
                issues.append(
                    CallIssue(
                        *where,
                        f"{prefix} has no `{keyword.name}`; pass it to your "
                        f"PyDataset's `super().__init__({keyword.name}=...)` "
                        "(keras.utils.PyDataset)",
                    )  # fmt: skip
                )
            else:
                hint = KEYWORD_RENAMES.get(keyword.name)
                extra = f"; the Keras 3 argument is `{hint}`" if hint in accepted else ""
                if keyword.name in ("samples_per_epoch", "nb_val_samples") and hint in accepted:
                    extra += " (counted in batches, not samples)"
                issues.append(
                    CallIssue(*where, f"{prefix} does not accept `{keyword.name}`{extra}")
                )
    return issues


def removed_method_issues(stack: Stack, calls: list[CallRef]) -> list[CallIssue]:
    """Methods of Keras 2's ``Model``/``Sequential`` that ``keras.Model`` lacks."""
    names = sorted({call.method for call in calls})
    answers = stack.resolve([{"kind": "chain", "path": f"keras.Model.{n}"} for n in names])
    missing = {name for name, answer in zip(names, answers, strict=True) if not answer["ok"]}
    if not missing:
        return []
    removed = stack.removed_methods()
    issues = []
    for call in calls:
        if call.method not in missing or call.method not in removed:
            continue
        message = (
            f"`{call.text}(...)`: Keras 3's `keras.Model` has no `{call.method}` (Keras 2's "
            f"`{removed[call.method]}` had it; it raises AttributeError)"
        )
        advice = METHOD_ADVICE.get(call.method)
        if advice:
            message += f"; {advice[0]}"
        issues.append(CallIssue(call.method_line, call.method_col, message))
    return issues
