"""Training time for every language: `make train` from scratch into a temporary models folder.

    python -m bench.training     (also part of `make bench-long`)

The folder links the training inputs and the virtualenv, so `make train` runs exactly as in the
repository but with no model and no Rasa cache to reuse. The result is recorded in
reports/bench-training.json, which `make bench` prints (labelled as measured separately) instead
of spending minutes training on every run.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.table import Row
from bot.ops.settings import ROOT

INPUTS = (
    ".venv",
    "pyproject.toml",
    "requirements-py311.lock",
    "requirements-dev-py311.lock",
    "scripts",
    "domain.yml",
    "config.yml",
    "data",
    "nlu_data",
)
RECORD = ROOT / "reports" / "bench-training.json"
COMMAND = "python -m bench.training"
MAKE = shutil.which("make") or "/usr/bin/make"


def train_from_scratch() -> float:
    """Seconds for `make train` in a fresh folder (the installed virtualenv is taken as it is)."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as folder:
        for name in INPUTS:
            os.symlink(ROOT / name, Path(folder) / name)
        start = time.perf_counter()
        subprocess.run(
            [MAKE, "--no-print-directory", "-f", str(ROOT / "Makefile"), "-C", folder,
             "-o", ".venv/.installed", "train"],
            check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - start


def record(seconds: float) -> dict[str, Any]:
    measured = {
        "seconds": round(seconds, 1),
        "languages": sorted(p.name for p in (ROOT / "nlu_data").iterdir() if p.is_dir()),
        "cpus": os.cpu_count(),
        "date": datetime.date.today().isoformat(),
        "command": COMMAND,
    }
    RECORD.write_text(json.dumps(measured, indent=2) + "\n")
    return measured


def row(measured: dict[str, Any], *, now: bool) -> Row:
    when = "this run" if now else f"measured separately on {measured['date']} by `{measured['command']}`"
    return Row(
        metric=f"training, {len(measured['languages'])} languages + dialogue, make train (s; {when})",
        ours=float(measured["seconds"]),
    )


def recorded_row() -> Row | None:
    return row(json.loads(RECORD.read_text()), now=False) if RECORD.exists() else None


def main() -> None:
    measured = record(train_from_scratch())
    print(f"make train from scratch: {measured['seconds']} s ({measured['cpus']} CPUs) -> {RECORD}")


if __name__ == "__main__":
    main()
