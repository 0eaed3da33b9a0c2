"""Benchmarks (never timed tests): run by hand or with `make bench`."""
