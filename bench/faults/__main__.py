"""python -m bench.faults [--quick] [--keep]: the fault soak (`make soak`), see bench/faults/run.py."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from bench.faults.run import FULL, QUICK, soak


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 conversations, short phases and faults")
    parser.add_argument("--keep", action="store_true", help="keep the folder of logs, AOF and nginx config")
    args = parser.parse_args()
    for tool in ("redis-server", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH (Debian: apt-get install -y redis-server nginx)")
    folder = Path(tempfile.mkdtemp(prefix="safespaces-soak-"))
    folder.chmod(0o755)  # nginx's worker runs as another user
    passed = False
    try:
        passed = asyncio.run(soak(QUICK if args.quick else FULL, folder))
    finally:
        if args.keep or not passed:
            print(f"logs, AOF and nginx config: {folder}")
        else:
            shutil.rmtree(folder)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
