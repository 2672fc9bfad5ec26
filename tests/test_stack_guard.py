"""Slow tier: the stack guard on the installed baked project, real processes, no mocks.

The legacy corpus (``tests/legacy_corpus/``: scripts in the style of 2017-2022 Keras and
tf.keras tutorials, written for this suite) goes through ``make check-imports`` and
``make migrate``. The expected verdicts do not come from the tool: an oracle executes every
import statement of the corpus, one by one, in the project's venv; a second one executes
every call with keyword arguments of a Keras class or function (its own arguments where they
are literals, placeholders elsewhere) and records the keywords Keras rejects, and checks each
method called on a ``build_model()`` result against ``keras.Sequential``.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, make

pytestmark = pytest.mark.slow
CORPUS = ROOT / "tests" / "legacy_corpus"
# Import roots that are never canonical Keras 3, even when they resolve.
NON_CANONICAL = re.compile(
    r"^(tensorflow\.keras|tensorflow\.python\.keras|tf_keras|keras\.api|keras\.src)(\.|$)"
    r"|^keras\.(\w+\.)*legacy(\.|$)"
)
ORACLE = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import tensorflow, keras
results = []
for statement in json.load(sys.stdin):
    try:
        exec(statement, {})
        results.append(None)
    except BaseException as error:
        results.append(f"{type(error).__name__}: {error}")
print("ORACLE " + json.dumps(results))
"""


CALL_ORACLE = r"""
import json, re, sys, warnings
warnings.simplefilter("ignore")
import tensorflow, keras
REJECTED = ("unexpected keyword argument '{}'", "nrecognized keyword arguments", "not recognized")
results = []
for case in json.load(sys.stdin):
    namespace = {}
    for statement in case["imports"]:
        try:
            exec(statement, namespace)
        except BaseException:
            pass
    try:
        callee = eval(case["callee"], namespace)
    except BaseException:
        results.append(None)
        continue
    if not (getattr(callee, "__module__", None) or "").startswith("keras."):
        results.append(None)
        continue
    kwargs = dict(case["keywords"])
    rejected, filled, said = [], {}, None
    for _ in range(20):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                callee(*case["args"], **kwargs, **filled)
            said = [str(w.message) for w in caught]
            break
        except BaseException as error:
            text = str(error)
            if "required positional argument" in text or "required keyword-only" in text:
                names = re.findall(r"'(\w+)'", text.partition(":")[2])
                if names and not set(names) & set(filled):
                    filled.update(dict.fromkeys(names, 1))  # placeholders for what it needs
                    continue
            hit = [
                k for k in kwargs
                if REJECTED[0].format(k) in text
                or any(r in text for r in REJECTED[1:]) and f"'{k}'" in text
            ]
            if not hit:
                break
            rejected += hit
            for k in hit:
                kwargs.pop(k)
    # Accepted, then dropped: Keras says so (it ignores it, or asks to remove it), for a
    # value that asked for something (decay=0.0 asked for no decay).
    def drops(k, messages):
        return any(f"`{k}`" in m and ("ignored" in m or "remove it" in m) for m in messages)
    dropped = [k for k, value in kwargs.items() if value and drops(k, said or [])]
    for k in set(case["opaque"]) & set(kwargs) if said is not None else ():
        try:  # a value that is not a literal: built again with 1 in its place
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                callee(*case["args"], **{**kwargs, k: 1}, **filled)
        except BaseException:
            continue
        if drops(k, [str(w.message) for w in caught]):
            dropped.append(k)
    results.append(rejected + [f"dropped:{k}" for k in dropped])
missing = [m for m in json.loads(sys.argv[1]) if not hasattr(keras.Sequential, m)]
print("CALLS " + json.dumps({"rejected": results, "missing": missing}))
"""


def literal(node: ast.AST, default: object) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return default


def deferred_calls(tree: ast.AST) -> set[int]:
    """ids of the calls inside a function or lambda body: they run when called, after the
    module's own code, so they see its last bindings."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inside.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Call))
    return inside


def module_definitions(path: Path) -> list[tuple[int, str]]:
    """``(line, source)`` of the module-level imports, ``def`` and ``class`` statements (also
    inside module-level ``if``/``try``/``with``), in source order: what binds a callee."""
    source = path.read_text()
    found = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
                text = textwrap.dedent(" " * node.col_offset + ast.get_source_segment(source, node))
                found.append((node.lineno, text))
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
            elif isinstance(node, ast.With):
                visit(node.body)

    visit(ast.parse(source).body)
    return found


def version_switches(path: Path) -> list[tuple[str, list[int], list[int]]]:
    """``(test, body import lines, else import lines)`` of each ``if`` on a ``__version__``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and "__version__" in ast.unparse(node.test):
            lines = [
                [n.lineno for s in part for n in ast.walk(s) if isinstance(n, IMPORTS)]
                for part in (node.body, node.orelse)
            ]
            found.append((ast.unparse(node.test), *lines))
    return found


IMPORTS = (ast.Import, ast.ImportFrom)


def fallback_blocks(path: Path) -> list[tuple[int, int, str]]:
    """``(first line, last line, source)`` of each outermost ``try`` whose body imports."""
    source = path.read_text()
    found = []
    pending: list[ast.AST] = [ast.parse(source)]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Try) and any(isinstance(s, IMPORTS) for s in node.body):
            text = textwrap.dedent(" " * node.col_offset + ast.get_source_segment(source, node))
            found.append((node.lineno, node.end_lineno, text))
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def branch_bound_names(path: Path) -> set[str]:
    """Names that the two branches of a module-level ``if``/``else`` bind, each its own
    way (``from keras.layers import GRU as RNN`` / ``... import LSTM as RNN``): the tool
    cannot know which, and must say nothing of their calls (and count them)."""

    def bound(statements: list[ast.stmt]) -> dict[str, str]:
        names = {}
        for node in statements:
            for child in ast.walk(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for alias in child.names:
                        names[alias.asname or alias.name] = ast.unparse(child)
                elif isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                    names[child.id] = ast.unparse(node)
        return names

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.If) or "__version__" in ast.unparse(node.test):
            continue  # a version switch: the installed stack decides the branch
        if node.orelse:
            then, other = bound(node.body), bound(node.orelse)
            found |= {name for name in then.keys() & other.keys() if then[name] != other[name]}
    return found


def keyword_calls(path: Path) -> list[dict]:
    """Every call with explicit keywords through a dotted name, with literal arguments."""
    found = []
    tree = ast.parse(path.read_text())
    deferred = deferred_calls(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.keywords:
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            continue
        try:
            callee = ast.unparse(node.func)
        except ValueError:
            continue
        if not all(part.isidentifier() for part in callee.split(".")):
            continue
        found.append({
            "callee": callee,
            "args": [literal(a, 1) for a in node.args],
            "keywords": [[k.arg, literal(k.value, None)] for k in node.keywords],
            "opaque": [k.arg for k in node.keywords if literal(k.value, KeyError) is KeyError],
            "lines": [k.value.lineno for k in node.keywords],
            "line": node.lineno, "deferred": id(node) in deferred,
        })  # fmt: skip
    return found


def model_method_calls(path: Path) -> list[tuple[int, str]]:
    """``(line, method)`` of the methods called on a name assigned from ``build_model()``."""
    tree = ast.parse(path.read_text())
    models = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name) and node.value.func.id == "build_model"
        for target in node.targets if isinstance(target, ast.Name)
    }  # fmt: skip
    return [
        (node.func.end_lineno, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id in models
    ]  # fmt: skip


def run_call_oracle(project: Path, cases: list[dict], methods: list[str], cwd: Path) -> dict:
    result = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", CALL_ORACLE, json.dumps(methods)],
        input=json.dumps(cases), capture_output=True, text=True, cwd=cwd, timeout=900,
        check=False,
    )  # fmt: skip
    line = next((x for x in result.stdout.splitlines() if x.startswith("CALLS ")), None)
    assert line, result.stderr[-3000:]
    return json.loads(line.removeprefix("CALLS "))


def import_statements(path: Path) -> list[tuple[int, str, str, bool]]:
    """``(line, source, module path, guarded)`` of every absolute import in a file."""
    source = path.read_text()
    tree = ast.parse(source)
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and node.handlers:
            for part in [*node.body, *(h for handler in node.handlers for h in handler.body)]:
                guarded.update(id(n) for n in ast.walk(part))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            module = node.names[0].name
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module != "__future__":
            module = node.module
            if module == "tensorflow" and any(alias.name == "keras" for alias in node.names):
                module = "tensorflow.keras"
        else:
            continue
        text = ast.get_source_segment(source, node)
        found.append((node.lineno, text, module, id(node) in guarded))
    return found


def run_oracle(project: Path, statements: list[str]) -> list[str | None]:
    result = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "-c", ORACLE],
        input=json.dumps(statements),
        capture_output=True,
        text=True,
        cwd=project,
        timeout=600,
        check=False,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("ORACLE "))
    return json.loads(line.removeprefix("ORACLE "))


def parses(path: Path) -> bool:
    try:
        ast.parse(path.read_text())
    except SyntaxError:
        return False
    return True


@pytest.fixture(scope="module")
def corpus(train_project, tmp_path_factory) -> dict:
    """The corpus before and after ``make migrate``, with the oracle's verdicts on both."""
    return measure(train_project, tmp_path_factory.mktemp("corpus"))


def measure(train_project: Path, workdir: Path) -> dict:
    """Run check-imports and migrate on a copy of the corpus in ``workdir``, and the
    oracles on the imports and calls before and after."""
    before = workdir / "before"
    shutil.copytree(CORPUS, before)
    after = before.parent / "after"
    shutil.copytree(CORPUS, after)
    check = make(train_project, "check-imports", f"PATHS={before}", "ARGS=--json", check=False)
    assert check.returncode != 0, check.stdout[-3000:] + check.stderr
    findings = json.loads(check.stdout[check.stdout.index("[") :])
    migrated = make(train_project, "migrate", f"PATHS={after}", check=False)
    assert migrated.returncode != 0, migrated.stdout[-3000:] + migrated.stderr
    files = sorted(p.name for p in before.glob("*.py") if parses(p))
    statements = {name: import_statements(before / name) for name in files}
    statements_after = {name: import_statements(after / name) for name in files}
    flat = [s[1] for name in files for s in statements[name]]
    flat_after = [s[1] for name in files for s in statements_after[name]]
    verdicts = run_oracle(train_project, flat + flat_after)
    oracle = dict(zip(flat, verdicts[: len(flat)], strict=True))
    oracle_after = dict(zip(flat_after, verdicts[len(flat) :], strict=True))
    # `if keras.__version__ ...`: the oracle evaluates the test after the file's working
    # `import` lines; the imports of the branch the stack skips do not run.
    switches = [(name, *switch) for name in files for switch in version_switches(before / name)]
    tests = [
        "\n".join(
            text for _, text, _, _ in statements[name]
            if text.startswith("import ") and oracle[text] is None
        ) + f"\nassert ({test})"
        for name, test, _, _ in switches
    ]  # fmt: skip
    skipped = set()
    for (name, _, body, orelse), result in zip(switches, run_oracle(train_project, tests)):
        if result is None:
            skipped |= {(name, line) for line in orelse}
        elif result.startswith("AssertionError"):
            skipped |= {(name, line) for line in body}
    for name in files:
        statements[name] = [
            (line, text, module, guarded or (name, line) in skipped)
            for line, text, module, guarded in statements[name]
        ]
    # Import fallbacks: each `try` around imports runs as a whole; one that raises is a
    # file that cannot be imported.
    blocks = [(name, *block) for name in files for block in fallback_blocks(before / name)]
    results = run_oracle(train_project, [text for *_, text in blocks])
    fallbacks = {
        (name, start, end): result is None
        for (name, start, end, _), result in zip(blocks, results, strict=True)
    }
    # Calls: each runs after the migrated file's imports (a failing import is judged by its
    # replacement, as the tool does), then the file's own module-level imports, defs and
    # classes: those before the call's line for a module-level call, all of them for a call
    # in a function body. Calls through a name two branches bind are set apart.
    cases, methods, unknowable = [], {}, set()
    for name in files:
        definitions = module_definitions(before / name)
        branches = branch_bound_names(before / name)
        for case in keyword_calls(before / name):
            if case["callee"].split(".")[0] in branches:
                unknowable |= {
                    (name, line, k) for line, (k, _) in zip(case["lines"], case["keywords"])
                }
                continue
            imports = [s[1] for s in statements_after[name]] + [
                text for line, text in definitions if case["deferred"] or line < case["line"]
            ]
            cases.append({**case, "file": name, "imports": imports})
        methods[name] = model_method_calls(before / name)
    scratch = before.parent / "oracle-cwd"
    scratch.mkdir()
    calls = run_call_oracle(
        train_project, cases, sorted({m for ms in methods.values() for _, m in ms}), scratch
    )
    rejected, dropped = set(), set()
    for case, keywords in zip(cases, calls["rejected"], strict=True):
        for keyword in keywords or ():
            bucket = dropped if keyword.startswith("dropped:") else rejected
            keyword = keyword.removeprefix("dropped:")
            line = case["lines"][[k for k, _ in case["keywords"]].index(keyword)]
            bucket.add((case["file"], line, keyword))
    missing = {
        (name, line, method)
        for name, found in methods.items()
        for line, method in found
        if method in calls["missing"]
    }
    return {
        "before": before, "after": after, "files": files, "findings": findings,
        "migrate_out": migrated.stdout, "statements": statements,
        "statements_after": statements_after, "oracle": oracle, "oracle_after": oracle_after,
        "calls_judged": sum(c is not None for c in calls["rejected"]),
        "rejected_keywords": rejected, "missing_methods": missing, "dropped_keywords": dropped,
        "fallbacks": fallbacks, "skipped": skipped,
        "unknowable": unknowable,
        "check_summary": next(
            (x for x in check.stderr.splitlines() if x.startswith("check-imports:")), ""
        ),
        "call_cases": len(cases),
    }  # fmt: skip


def test_the_corpus_is_large_enough_and_varied():
    scripts = [p for p in CORPUS.glob("*.py") if parses(p)]
    assert len(scripts) >= 30
    assert len(list(CORPUS.glob("*.ipynb"))) >= 2
    assert any(not parses(p) for p in CORPUS.glob("*.py"))  # Python 2 files too


def test_check_recall_every_failing_or_non_canonical_import_is_a_finding(corpus):
    lines = {(Path(f["path"]).name, f["line"]) for f in corpus["findings"]}
    missed = []
    for name in corpus["files"]:
        for line, text, module, guarded in corpus["statements"][name]:
            fails = corpus["oracle"][text] is not None
            finding = (fails and not guarded) or NON_CANONICAL.search(module)
            if finding and (name, line) not in lines:
                missed.append(f"{name}:{line}: {text} ({corpus['oracle'][text]})")
    assert not missed, "\n".join(missed)


def test_check_has_no_false_positive_on_working_canonical_imports(corpus):
    import_lines = {
        (name, line): (text, module)
        for name in corpus["files"]
        for line, text, module, _ in corpus["statements"][name]
    }
    wrong = []
    for finding in corpus["findings"]:
        key = (Path(finding["path"]).name, finding["line"])
        if key in import_lines:
            text, module = import_lines[key]
            if corpus["oracle"][text] is None and not NON_CANONICAL.search(module):
                wrong.append(f"{key}: {text}: {finding['message']}")
    assert not wrong, "\n".join(wrong)


KEYWORD_FINDING = re.compile(r"does not accept `(\w+)`")
METHOD_FINDING = re.compile(r"Keras 3's `keras.Model` has no `(\w+)`")
DROPPED_FINDING = re.compile(r"accepts `(\w+)` and drops it")


def call_findings(corpus) -> tuple[set, set, set]:
    """``(rejected keywords, missing methods, dropped keywords)`` the tool named."""
    keywords, methods, dropped = set(), set(), set()
    for finding in corpus["findings"]:
        if finding["status"] != "call" or ".ipynb" in finding["path"]:
            continue
        name = Path(finding["path"]).name
        if match := KEYWORD_FINDING.search(finding["message"]):
            keywords.add((name, finding["line"], match.group(1)))
        elif match := METHOD_FINDING.search(finding["message"]):
            methods.add((name, finding["line"], match.group(1)))
        elif match := DROPPED_FINDING.search(finding["message"]):
            dropped.add((name, finding["line"], match.group(1)))
    return keywords, methods, dropped


def figures(corpus) -> dict[str, tuple[int, int, int]]:
    """``{"imports" | "calls": (found, expected, false positives)}`` on the corpus, from the
    oracles: imports that fail (unguarded) or are not canonical, and keywords Keras rejects
    plus methods a built model lacks; a call through a name bound in two branches is in
    neither count (the tool must not guess it)."""
    lines = {(Path(f["path"]).name, f["line"]) for f in corpus["findings"]}
    expected, clean = set(), set()
    for name in corpus["files"]:
        for line, text, module, guarded in corpus["statements"][name]:
            fails = corpus["oracle"][text] is not None
            if (fails and not guarded) or NON_CANONICAL.search(module):
                expected.add((name, line))
            elif not fails:
                clean.add((name, line))
    found = len(expected & lines)
    wrong = len((clean - expected) & lines) + len(corpus["skipped"] & lines)  # never runs
    named = {
        (Path(f["path"]).name, f["line"]) for f in corpus["findings"] if f["status"] == "fallback"
    }
    for (name, start, end), works in corpus["fallbacks"].items():
        inside = {(n, line) for n, line in named if n == name and start <= line <= end}
        if works:
            wrong += len(inside)
        else:
            expected.add((name, "try", start))
            found += bool(inside)
    keywords, methods, dropped = call_findings(corpus)
    wrong_calls = (
        keywords - corpus["rejected_keywords"]
        | methods - corpus["missing_methods"]
        | dropped - corpus["dropped_keywords"]
    )
    calls = corpus["rejected_keywords"] | corpus["missing_methods"]
    calls |= {(*k, "dropped") for k in corpus["dropped_keywords"]}
    seen = keywords | methods | {(*k, "dropped") for k in dropped}
    return {
        "imports": (found, len(expected), wrong),
        "calls": (len(calls & seen), len(calls), len(wrong_calls)),
    }


def test_check_recall_every_rejected_keyword_and_missing_method_is_a_finding(corpus):
    """The oracle ran the calls: each keyword Keras rejects, each method a built model
    lacks, is a finding at its line. The corpus holds such calls (the recall is not 0/0),
    star-imported ones and ones through a shadowed name among them."""
    keywords, methods, _ = call_findings(corpus)
    assert len(corpus["rejected_keywords"]) >= 5 and len(corpus["missing_methods"]) >= 2
    assert corpus["rejected_keywords"] - keywords == set()
    assert corpus["missing_methods"] - methods == set()
    assert ("keras2_callbacks_predict_classes.py", 31, "period") in keywords
    assert ("unet_star_imports_backend_shadow.py", 35, "lr") in keywords  # star-imported Adam
    assert ("keras1_shim_rebound_name.py", 15, "border_mode") in keywords  # before the shim
    found, expected, _ = figures(corpus)["calls"]
    assert found == expected, figures(corpus)


def test_check_has_no_false_positive_on_calls(corpus):
    """Every keyword finding was rejected by Keras when run; every method finding is a
    method ``keras.Sequential`` lacks; ``EarlyStopping``'s Keras 2 arguments pass; calls
    through a name rebound to the file's own ``def``/``class`` are not Keras's."""
    keywords, methods, _ = call_findings(corpus)
    assert keywords - corpus["rejected_keywords"] == set()
    assert methods - corpus["missing_methods"] == set()
    assert figures(corpus)["calls"][2] == 0
    assert not [
        k
        for k in keywords
        if k[0] == "keras1_shim_rebound_name.py"
        and k[2] in ("border_mode", "subsample")
        and k[1] > 20
    ]
    assert not [
        k for k in keywords if k[0] == "attention_lstm_star_kaggle.py" and k[2] == "step_dim"
    ]


def test_check_names_each_import_fallback_that_cannot_succeed_and_no_other(corpus):
    """The oracle ran every ``try`` around imports: each that raises is a finding inside
    it, each that runs through has no fallback finding; imports in the branch of a
    ``__version__`` switch the stack skips are not expected."""
    works = list(corpus["fallbacks"].values())
    assert works.count(False) >= 2 and works.count(True) >= 1
    found, expected, wrong = figures(corpus)["imports"]
    assert (found, wrong) == (expected, 0), figures(corpus)
    assert ("keras_version_switch.py", 18) in {
        (Path(f["path"]).name, f["line"]) for f in corpus["findings"]
    }  # the branch Keras 3 takes fails: named
    assert not [
        f for f in corpus["findings"]
        if Path(f["path"]).name == "keras_version_switch.py" and f["line"] == 11
    ]  # fmt: skip


def test_check_warns_on_each_argument_keras_accepts_and_drops(corpus):
    """The oracle saw Keras warn that it ignores each such argument (``decay`` of every
    optimizer); each is a warning at its line, and nothing else is."""
    _, _, dropped = call_findings(corpus)
    assert len(corpus["dropped_keywords"]) >= 7
    assert dropped == corpus["dropped_keywords"]
    warned = [f for f in corpus["findings"] if "and drops it" in f["message"]]
    assert {f["severity"] for f in warned} == {"warning"}
    assert ("optimizers_decay_keras2.py", 25, "decay") in dropped  # Adam(1e-4, decay=1e-4)


def test_calls_through_a_name_bound_in_two_branches_are_not_judged_but_counted(corpus):
    """``RNN`` is GRU or LSTM: no finding at its calls, and the summary line counts them."""
    assert corpus["unknowable"], "the corpus holds such a call"
    lines = {(Path(f["path"]).name, f["line"]) for f in corpus["findings"]}
    assert not {(name, line) for name, line, _ in corpus["unknowable"]} & lines
    match = re.search(
        r"; (\d+) use\(s\) of a name bound to different objects", corpus["check_summary"]
    )
    assert match, corpus["check_summary"]
    assert int(match.group(1)) >= len({(n, line) for n, line, _ in corpus["unknowable"]})
    early = [
        f for f in corpus["findings"] if f["status"] == "call" and "EarlyStopping" in f["message"]
    ]
    assert early == [], early


def test_the_stale_keras_script_runs_after_migrate_and_not_before(corpus, train_project):
    python = str(train_project / ".venv" / "bin" / "python")
    runs = {}
    for when in ("before", "after"):
        runs[when] = subprocess.run(
            [python, str(corpus[when] / "tf_python_keras_train.py")],
            capture_output=True, text=True, cwd=corpus[when], timeout=600, check=False,
        )  # fmt: skip
    assert runs["before"].returncode != 0  # the stale copy fails at fit
    assert "DistributedDatasetInterface" in runs["before"].stderr
    assert runs["after"].returncode == 0, runs["after"].stderr[-2000:]
    assert "loss" in runs["after"].stdout
    after = (corpus["after"] / "tf_python_keras_train.py").read_text()
    assert not re.search(r"^(import|from) tensorflow\.python\.keras", after, re.MULTILINE)
    assert "not the same object: check the arguments" in corpus["migrate_out"]


def test_check_covers_notebook_cells_and_python_2_files(corpus):
    wheres = [f["where"] for f in corpus["findings"]]
    assert any(".ipynb:cell_" in where for where in wheres)
    messages = [f["message"] for f in corpus["findings"]]
    assert sum("cannot parse as Python 3" in m for m in messages) == sum(
        not parses(p) for p in CORPUS.glob("*.py")
    )


def test_migrate_output_parses_and_no_working_import_becomes_failing(corpus):
    for name in corpus["files"]:
        assert parses(corpus["after"] / name), name
        for _, text, _, _ in corpus["statements_after"][name]:
            if corpus["oracle_after"][text] is not None:
                assert corpus["oracle"].get(text) is not None, (
                    f"{name}: migrate wrote `{text}`, which fails: {corpus['oracle_after'][text]}"
                )
    for path in corpus["before"].glob("*.py"):
        if not parses(path):  # Python 2: reported and left untouched
            assert (corpus["after"] / path.name).read_text() == path.read_text()
            assert f"{corpus['after'] / path.name}:1: cannot parse" in corpus["migrate_out"]


def test_migrate_rewrites_or_reports_every_failing_import(corpus):
    out = corpus["migrate_out"]
    silent = []
    for name in corpus["files"]:
        after_text = (corpus["after"] / name).read_text()
        for line, text, _, guarded in corpus["statements"][name]:
            if corpus["oracle"][text] is None or guarded:
                continue
            rewritten = text not in after_text
            reported = f"{corpus['after'] / name}:{line}: " in out
            if not (rewritten or reported):
                silent.append(f"{name}:{line}: {text}")
    for (name, start, end), works in corpus["fallbacks"].items():
        if works:
            continue
        after = corpus["after"] / name
        block = "\n".join((corpus["before"] / name).read_text().splitlines()[start - 1 : end])
        rewritten = block not in after.read_text()
        reported = any(f"{after}:{line}: " in out for line in range(start, end + 1))
        if not (rewritten or reported):
            silent.append(f"{name}:{start}: a fallback that cannot import")
    assert not silent, "\n".join(silent)


def test_migrated_scripts_without_manual_findings_import_and_build(corpus, train_project):
    manual = {
        Path(line.split(":", 1)[0]).name
        for line in corpus["migrate_out"].splitlines()
        if re.match(r"^/\S+\.py:\d+: ", line) and " -> " not in line
    }
    clean = [name for name in corpus["files"] if name not in manual]
    assert len(clean) >= 10, clean
    program = textwrap.dedent(
        """
        import importlib.util, json, sys, numpy as np, keras
        results = {}
        for path in sys.argv[1:]:
            try:
                spec = importlib.util.spec_from_file_location("m", path)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                model = module.build_model()
                assert isinstance(model, keras.Model), type(model)
                x = [np.zeros((1, *i.shape[1:]), i.dtype) for i in model.inputs]
                model(x if len(x) > 1 else x[0])
                results[path] = None
            except BaseException as error:
                results[path] = f"{type(error).__name__}: {error}"
        print("BUILD " + json.dumps(results))
        """
    )
    result = subprocess.run(
        [str(train_project / ".venv" / "bin" / "python"), "-c", program]
        + [str(corpus["after"] / name) for name in clean],
        capture_output=True, text=True, cwd=corpus["after"], timeout=900, check=False,
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("BUILD "))
    failures = {k: v for k, v in json.loads(line.removeprefix("BUILD ")).items() if v}
    assert not failures, failures


def test_doctor_and_smoke_locate_an_import_failure_from_the_package_init(train_project):
    """``__init__.py`` re-exports the model; a local keras.py breaks ``import keras``."""
    package = next((train_project / "src").iterdir()).name
    init = train_project / "src" / package / "__init__.py"
    original = init.read_text()
    init.write_text(original + "\nfrom .model import build_model  # noqa: E402, F401\n")
    shadow = train_project / "keras.py"
    shadow.write_text("raise ImportError('this keras.py is not Keras')\n")
    try:
        doctor = make(train_project, "doctor", check=False)
        smoke = make(train_project, "smoke", check=False)
    finally:
        init.write_text(original)
        shadow.unlink()
    assert doctor.returncode != 0
    assert f"FAIL shadowing: {shadow} shadows the installed 'keras'" in doctor.stdout
    assert smoke.returncode != 0 and "Traceback" not in smoke.stdout + smoke.stderr
    [line] = [x for x in smoke.stdout.splitlines() if x.startswith(f"FAIL import {package}:")]
    assert "ImportError: this keras.py is not Keras" in line
    assert f"src/{package}/__init__.py:" in line and "from .model import build_model" in line
    assert "keras.py:1: raise ImportError" in line
    assert "doctor:" in smoke.stdout and "FAIL shadowing:" in smoke.stdout


def test_the_stack_guard_does_not_ship_in_the_wheel(train_project, tmp_path):
    package = next((train_project / "src").iterdir()).name
    subprocess.run(
        [str(train_project / ".venv" / "bin" / "python"), "-m", "pip", "wheel", "--quiet",
         "--no-deps", "--no-build-isolation", "--wheel-dir", str(tmp_path), str(train_project)],
        check=True, capture_output=True,
    )  # fmt: skip
    [wheel] = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert f"{package}/model.py" in names and f"{package}/train.py" in names
    assert not [n for n in names if n.startswith(("stackguard", "tests"))], names


def test_make_bench_guard_prints_the_ratio(train_project):
    out = make(train_project, "bench-guard", "ARGS=--repeat 1").stdout
    assert re.search(r"^ratio check-imports / bare import: \d+\.\d\d$", out, re.MULTILINE), out
