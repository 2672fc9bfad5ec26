"""``make data-check`` for a table: what would spoil a training before it starts.

Errors (exit status 1): a missing target column, an empty or non-numeric feature cell.
Warnings: rows that are exact duplicates (ids aside), features with one value only, and,
for a classification target, classes more than ``max_imbalance`` times smaller than the
largest. The JSON report goes to ``report``; the readable one to stdout.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from pydantic import Field

from ..cli import run
from ..config_base import Config
from ..dataset import is_number, read_table


class DataCheckConfig(Config):
    """Check a table (a CSV file or a folder of them) before training."""

    data_dir: Path = Field(Path("data/demo"), description="a CSV file or a folder of them")
    target: str = Field("target", description="the column to predict")
    id_column: str = Field("id", description="the column naming each row (not a feature)")
    max_imbalance: float = Field(
        3.0, ge=1.0, description="warn when the largest class is more than this times the smallest"
    )
    report: Path = Field(
        Path("artifacts/data-check.json"), description="where the JSON report is written"
    )


def check_table(config: DataCheckConfig) -> dict:
    """The report: ``errors`` and ``warnings`` (counts), ``problems`` (one line each),
    ``rows``, ``features`` and, for classification, ``classes`` (``{name: rows}``).

    Raises:
        errors.DataError: the table cannot be read at all (``dataset.read_table``).
    """
    columns = read_table(config.data_dir)
    errors, warnings = [], []
    rows = len(next(iter(columns.values()), []))
    features = sorted(name for name in columns if name not in (config.target, config.id_column))
    if config.target not in columns:
        errors.append(f"no target column {config.target!r} (columns: {', '.join(columns)})")
    for name in features:
        bad = [i + 2 for i, cell in enumerate(columns[name]) if not is_number(cell)]
        if bad:
            errors.append(
                f"feature {name!r}: {len(bad)} empty or non-numeric cell(s), rows {bad[:10]}"
            )
        elif len(set(columns[name])) == 1:
            warnings.append(f"feature {name!r} has one value only: it tells the model nothing")
    kept = [name for name in columns if name != config.id_column]
    seen = Counter(tuple(columns[name][i] for name in kept) for i in range(rows))
    duplicates = sum(count - 1 for count in seen.values() if count > 1)
    if duplicates:
        warnings.append(f"{duplicates} row(s) duplicate another (ids aside)")
    report: dict = {"rows": rows, "features": features}
    cells = columns.get(config.target, [])
    if cells and not all(is_number(cell) for cell in cells):
        classes = Counter(cells)
        report["classes"] = dict(sorted(classes.items()))
        if max(classes.values()) > config.max_imbalance * min(classes.values()):
            warnings.append(f"classes are imbalanced: {dict(sorted(classes.items()))}")
    return {
        "errors": len(errors),
        "warnings": len(warnings),
        "problems": errors + warnings,
        **report,
    }


def data_check(config: DataCheckConfig) -> dict:
    """Check the table, write the JSON report to ``config.report``; return the report."""
    report = check_table(config)
    config.report.parent.mkdir(parents=True, exist_ok=True)
    config.report.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    outcome = {}

    def report(config: DataCheckConfig, result: dict) -> None:
        print(f"{result['rows']} rows, features: {', '.join(result['features'])}")
        for line in result["problems"]:
            print(f"  {line}")
        print(f"data-check: {result['errors']} error(s), {result['warnings']} warning(s)")
        print(f"-> {config.report}")
        outcome["errors"] = result["errors"]

    status = run(DataCheckConfig, data_check, report, argv, prog=f"python -m {__package__}.check")
    return status or (1 if outcome.get("errors") else 0)


if __name__ == "__main__":
    sys.exit(main())
