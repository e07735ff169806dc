"""Benchmarks and labelled evaluation sets (run with ``python -m benchmarks.<name>``)."""
