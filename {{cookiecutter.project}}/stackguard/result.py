"""The one result type of the doctor and the smoke test, and its one printed line.

Standard library only. A ``Result`` prints as one line::

    PASS check: what was found
    FAIL check: what was found; fix: the command or edit that fixes it

``parse`` reads such a line back (tests and scripts grep the output), ``--json`` output is
``dataclasses.asdict`` of each result: ``{"check", "status", "found", "fix"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATUSES = ("PASS", "WARN", "FAIL")
FIX_SEPARATOR = "; fix: "
LINE = re.compile(r"^(PASS|WARN|FAIL) ([^:]+): (.*)$")


@dataclass
class Result:
    """One check's verdict: ``status`` is PASS, WARN or FAIL; ``fix`` is empty on PASS."""

    check: str
    status: str
    found: str
    fix: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")

    @classmethod
    def of(cls, check: str, ok: bool, found: str, fix: str = "") -> Result:
        """PASS when ``ok``, else FAIL."""
        return cls(check, "PASS" if ok else "FAIL", found, fix)

    @property
    def ok(self) -> bool:
        """Whether the check did not fail (a WARN is not a failure)."""
        return self.status != "FAIL"

    def __str__(self) -> str:
        line = f"{self.status} {self.check}: {self.found}"
        return f"{line}{FIX_SEPARATOR}{self.fix}" if self.fix else line


def parse(line: str) -> Result | None:
    """The ``Result`` a printed line shows, or None when the line is not a result."""
    match = LINE.match(line.strip())
    if match is None:
        return None
    status, check, rest = match.groups()
    found, _, fix = rest.rpartition(FIX_SEPARATOR) if FIX_SEPARATOR in rest else (rest, "", "")
    return Result(check, status, found, fix)
