"""Import fallbacks whose every alternative fails on the installed stack.

Legacy code guards its imports::

    try:
        from keras.engine import merge
    except ImportError:
        from keras.layers.merge import concatenate

The guard leaves such imports alone, since one branch is expected to fail
(``references.guarded_imports``). When no branch can succeed on the installed stack (each
has an import that the probe found failing, a nested fallback that fails, or ends in
``raise``), importing the file raises ImportError. ``judge_fallbacks`` names the
statement once, at its first failing import, with the advice for that import
(``verdicts.describe``), and says which alternative ``make migrate`` may write: the first
branch whose every failing import has a verified replacement (``Python language
reference``, "The try statement": a handler runs only when its ``try`` body raised).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .references import Branch, Fallback, Scan
from .verdicts import Verdict, describe


@dataclass
class FallbackIssue:
    """An import fallback that cannot succeed: where, what to say, and what to write.

    ``first`` is the first failing import of the first branch; ``chosen`` the branch
    ``make migrate`` may keep (its failing imports all have replacements), or None.
    """

    fallback: Fallback
    first: Verdict
    message: str
    chosen: Branch | None = None


def failing(verdicts: list[Verdict]) -> dict[int, list[Verdict]]:
    """``{statement: [failing verdicts]}`` of the import statements."""
    found: dict[int, list[Verdict]] = {}
    for verdict in verdicts:
        if verdict.ref.kind != "chain" and verdict.status == "fails":
            found.setdefault(verdict.ref.statement, []).append(verdict)
    return found


def succeeds(branch: Branch, fails: dict[int, list[Verdict]]) -> bool:
    """Whether a branch runs through on the installed stack."""
    return (
        not branch.raises
        and not any(number in fails for number in branch.statements)
        and all(works(nested, fails) for nested in branch.nested)
    )


def works(fallback: Fallback, fails: dict[int, list[Verdict]]) -> bool:
    """Whether some branch of a fallback runs through (then the file imports)."""
    return any(succeeds(branch, fails) for branch in fallback.branches)


def failures(branch: Branch, fails: dict[int, list[Verdict]]) -> list[Verdict]:
    """The failing imports of a branch, its nested fallbacks' included, in source order."""
    found = [v for number in branch.statements for v in fails.get(number, [])]
    for nested in branch.nested:
        if not works(nested, fails):
            found += [v for b in nested.branches for v in failures(b, fails)]
    return sorted(found, key=lambda v: (v.ref.line, v.ref.col))


def judge_fallbacks(
    scan: Scan, verdicts: list[Verdict], versions: dict[str, str], fixable
) -> list[FallbackIssue]:
    """One issue per outermost fallback of ``scan`` that no branch can get through.

    ``fixable(verdict)`` says whether a failing import has a replacement that ``make
    migrate`` would write (``migrate.applies``, guarded or not).
    """
    fails = failing(verdicts)
    issues = []
    for fallback in scan.fallbacks:
        if works(fallback, fails):
            continue
        lists = [failures(branch, fails) for branch in fallback.branches]
        every = [v for found in lists for v in found]
        if not every:
            continue  # no import fails: a branch only raises, which is the code's own choice
        first = every[0]
        unguarded = dataclasses.replace(first, ref=dataclasses.replace(first.ref, guarded=False))
        described = describe(unguarded, versions)
        texts = list(dict.fromkeys(f"`{scan.statements[v.ref.statement]}`" for v in every))
        message = (
            f"every alternative of this import fallback fails on the installed stack "
            f"({', '.join(texts)}): importing the file raises ImportError"
        )
        if described:
            message += f"; first: {described[1]}"
        chosen = next(
            (
                branch
                for branch, found in zip(fallback.branches, lists, strict=True)
                if not branch.raises and not branch.nested and all(fixable(v) for v in found)
            ),
            None,
        )
        issues.append(FallbackIssue(fallback, first, message, chosen))
    return issues
