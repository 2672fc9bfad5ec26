"""The offline demo table: seeded rows of clinical-style measurements and a target.

``make data`` writes ``DATA/measurements.csv`` (default ``data/demo``): an ``id`` column, five
numeric features on their own scales (``age`` in years, ``bmi`` in kg/m², ``systolic_bp`` in
mmHg, ``glucose`` and ``cholesterol`` in mmol/L) and ``target``: a risk score, a noisy
linear function of the features (a regression), or with ``--classes`` its tercile as
``low``/``medium``/``high`` (a classification). Drawn with NumPy from ``seed``: the same
arguments write the same bytes.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from pydantic import Field

from ..cli import run
from ..config_base import Config

FILE_NAME = "measurements.csv"
# name: (mean, standard deviation, weight in the risk score per standard deviation)
FEATURES = {
    "age": (55.0, 12.0, 0.8),
    "bmi": (27.0, 4.5, 0.5),
    "systolic_bp": (130.0, 15.0, 0.6),
    "glucose": (5.8, 1.1, 0.4),
    "cholesterol": (5.2, 0.9, -0.3),
}


class DemoDataConfig(Config):
    """Write the offline demo table: measurements and a risk score (or its class)."""

    output_dir: Path = Field(Path("data/demo"), description="the folder of the table")
    rows: int = Field(600, ge=4, description="data rows")
    classes: bool = Field(False, description="target as low/medium/high, not a number")
    seed: int = Field(0, description="seed of the drawing")


def write_demo_table(
    folder: str | Path, *, rows: int = 600, classes: bool = False, seed: int = 0
) -> Path:
    """Write ``folder/measurements.csv`` and return ``folder``."""
    rng = np.random.default_rng(seed)
    standard = rng.standard_normal((rows, len(FEATURES)))
    weights = np.array([weight for _, _, weight in FEATURES.values()])
    score = 10.0 + 2.0 * standard @ weights + rng.normal(0.0, 0.5, rows)
    if classes:
        low, high = np.quantile(score, [1 / 3, 2 / 3])
        target = np.where(score < low, "low", np.where(score < high, "medium", "high"))
    else:
        target = np.char.mod("%.3f", score)
    values = [mean + std * standard[:, i] for i, (mean, std, _) in enumerate(FEATURES.values())]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / FILE_NAME).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *FEATURES, "target"])
        for row in range(rows):
            cells = [f"{column[row]:.2f}" for column in values]
            writer.writerow([f"p{row + 1:05d}", *cells, target[row]])
    return folder


def main(argv: list[str] | None = None) -> int:
    def write(config: DemoDataConfig) -> Path:
        return write_demo_table(
            config.output_dir, rows=config.rows, classes=config.classes, seed=config.seed
        )

    def report(config: DemoDataConfig, folder: Path) -> None:
        kind = "classes low/medium/high" if config.classes else "a numeric risk score"
        print(f"wrote {config.rows} rows ({kind}) to {folder / FILE_NAME}")

    return run(DemoDataConfig, write, report, argv, prog=f"python -m {__package__}.demo")


if __name__ == "__main__":
    sys.exit(main())
