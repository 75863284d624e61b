"""`python -m bench [--quick] [SECTION ...]`: run each section, print its figures, keep JSON.

A section is a module `bench/<name>.py` with `main(quick: bool) -> dict`; results are written
to `bench/results/<name>.json`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
from pathlib import Path
from typing import Any

SECTIONS = ("broadcast",)
RESULTS = Path(__file__).resolve().parent / "results"


def _rows(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _rows(f"{prefix}.{k}", v)]
    return [(prefix, str(value))]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a quick look")
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=", ".join(SECTIONS))
    args = parser.parse_args()
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    logging.basicConfig(level=logging.WARNING)
    RESULTS.mkdir(exist_ok=True)
    for name in args.sections or SECTIONS:
        module = importlib.import_module(f"bench.{name}")
        figures = module.main(args.quick)
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")
        rows = _rows(name, figures)
        width = max(len(k) for k, _ in rows)
        print(f"\n== {name}{' (quick)' if args.quick else ''}")
        for key, value in rows:
            print(f"{key:<{width}}  {value}")
    return 0


raise SystemExit(main())
