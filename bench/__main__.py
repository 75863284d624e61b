"""Run every benchmark section and print its figures: `python -m bench [--quick] [SECTION...]`."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Any

SECTIONS = ["digest"]


def _print(name: str, result: dict[str, Any]) -> None:
    print(f"\n== {name} ==")
    width = max((len(k) for k in result), default=0)
    for key, value in result.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"  {key:<{width}}  {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer repetitions")
    parser.add_argument("sections", nargs="*", metavar="SECTION", help=f"one of {SECTIONS}")
    args = parser.parse_args(argv)
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    failed = False
    for name in args.sections or SECTIONS:
        module = importlib.import_module(f"bench.{name}")
        result = module.main(args.quick)
        _print(name, result)
        failed = failed or result.get("ok") is False
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
