"""The import check: ``make check-imports [PATHS=...]``.

``python -m stackguard.check_imports [--json] [PATH ...]`` (default ``src tests``) finds
every import statement and every attribute chain rooted at an imported stack module
(``keras.x.y``, ``tf.keras.x.y``, ``K.x`` after ``from keras import backend as K``) in
``.py`` files and in the code cells of ``.ipynb`` notebooks, and asks the installed stack,
in one probe process, whether each resolves (``stackguard.verdicts``), whether its
calls would raise or lose an argument: constructor keywords, removed ``Model`` methods,
arguments Keras accepts and drops (``stackguard.calls``), and whether an import fallback
can succeed at all (``stackguard.fallbacks``). Names are taken as bound where each use
runs, star imports included (``stackguard.references``). It prints one line per finding,
``path:line:col: severity: message``, saying what fails or is legacy, why, and the
verified fix, then a summary line, which also counts the uses not judged because their
name is bound to different objects in different branches (with ``--json``, the findings
go to stdout and the summary to stderr). Files that do not parse are findings too.

Exit status: 0 when there is no finding, 1 when there is any, 2 when the stack cannot be
probed (the message names the interpreter and the fix).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

from .calls import judge_calls
from .fallbacks import judge_fallbacks
from .references import Scan, python_files, scan
from .stack import Stack, StackError
from .verdicts import Judge, describe, fixable, statement_of


def read_scans(paths: list[Path], stack: Stack | None = None) -> tuple[list[Scan], list[dict]]:
    """Scan every file; unreadable and unparsable files become findings.

    ``stack`` names what star imports bind (a file without one does not wait for it)."""
    scans, problems = [], []
    for path in paths:
        try:
            scans.append(scan(path, stack))
        except SyntaxError as error:
            problems.append(
                problem(
                    path,
                    error.lineno or 1,
                    error.offset or 1,
                    f"cannot parse as Python 3 ({error.msg}); left unchecked",
                )  # fmt: skip
            )
        except (OSError, UnicodeDecodeError, ValueError) as error:
            problems.append(problem(path, 1, 1, f"cannot read ({type(error).__name__}: {error})"))
    return scans, problems


def problem(path: Path, line: int, col: int, message: str) -> dict:
    return {
        "where": f"{path}:{line}:{col}", "path": str(path), "line": line, "severity": "error",
        "status": "unreadable", "message": message, "statement": None, "fix": None,
    }  # fmt: skip


def findings(scans: list[Scan], stack: Stack) -> list[dict]:
    """Every finding of ``scans`` as ``{"where", "severity", "message", "fix", ...}``."""
    versions = stack.versions()
    found = []
    for scan_, verdicts in Judge(stack).judge(scans).items():
        for issue in judge_calls(scan_, stack, verdicts):
            found.append(
                {
                    "where": scan_.where(issue.line, issue.col),
                    "path": str(scan_.path),
                    "line": issue.line,
                    "severity": issue.severity,
                    "status": "call",
                    "message": issue.message,
                    "statement": None,
                    "fix": issue.new or None,
                }
            )
        for issue in judge_fallbacks(scan_, verdicts, versions, fixable):
            ref = issue.first.ref
            found.append(
                {
                    "where": scan_.where(ref.line, ref.col),
                    "path": str(scan_.path),
                    "line": ref.line,
                    "severity": "error",
                    "status": "fallback",
                    "message": issue.message,
                    "statement": ref.text,
                    "fix": statement_of(issue.first),
                }
            )
        for verdict in verdicts:
            described = describe(verdict, versions)
            if described is None:
                continue
            severity, message = described
            ref = verdict.ref
            found.append(
                {
                    "where": scan_.where(ref.line, ref.col),
                    "path": str(scan_.path),
                    "line": ref.line,
                    "severity": severity,
                    "status": verdict.status,
                    "message": message,
                    "statement": ref.text,
                    "fix": statement_of(verdict),
                }
            )
    return sorted(found, key=lambda f: (f["path"], f["line"]))


def main(argv: list[str] | None = None, stack: Stack | None = None) -> int:
    """The command line; ``stack`` reuses a running probe (tests), else one is started."""
    parser = argparse.ArgumentParser(description="Check imports against the installed stack.")
    parser.add_argument("paths", nargs="*", default=["src", "tests"], help="files or folders")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    files = python_files(args.paths)
    try:
        # The probe imports the stack while the files are parsed.
        with contextlib.nullcontext(stack) if stack else Stack() as stack:
            scans, problems = read_scans(files, stack)
            found = problems + findings(scans, stack)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = f"check-imports: {len(found)} finding(s) in {len(files)} file(s)" + unjudged(scans)
    if args.json:
        print(json.dumps(found, indent=2))
        print(summary, file=sys.stderr)
    else:
        for finding in found:
            print(f"{finding['where']}: {finding['severity']}: {finding['message']}")
        print(summary)
    return 1 if found else 0


def unjudged(scans: list[Scan]) -> str:
    """The summary's count of uses not judged: a stack name bound two ways (``if``/``else``
    branches binding different objects), with the first places; empty when there is none."""
    places = sorted(
        (str(scan_.path), line, col, name) for scan_ in scans for line, col, name in scan_.unknown
    )
    if not places:
        return ""
    shown = ", ".join(f"{path}:{line}:{col + 1} `{name}`" for path, line, col, name in places[:3])
    more = ", ..." if len(places) > 3 else ""
    return (
        f"; {len(places)} use(s) of a name bound to different objects in different branches, "
        f"not judged ({shown}{more})"
    )


if __name__ == "__main__":
    sys.exit(main())
