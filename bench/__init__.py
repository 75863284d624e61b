"""Benchmarks (`make bench`, `python -m bench [SECTION...] [--quick]`).

Each section is a module with `async def run(options) -> Section`; every figure is printed next
to a baseline measured in the same run, and the ratio is the number to watch.
"""
