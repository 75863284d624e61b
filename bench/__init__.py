"""Benchmarks (`make bench`): each section module has `main(quick: bool) -> dict`."""
