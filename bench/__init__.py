"""Benchmarks: run with `make bench`; they print tables of percentiles and ratios."""
