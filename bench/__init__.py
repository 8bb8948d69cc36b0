"""Benchmarks (``make bench``): printed measurements, not tests."""
