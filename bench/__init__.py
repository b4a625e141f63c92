"""Benchmarks (not tests): `make bench` runs bench/run.py. Figures are JSON lines."""
