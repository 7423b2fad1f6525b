"""Benchmarks: synthetic organisations and timings against the tools users would otherwise use."""
