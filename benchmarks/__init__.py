"""Benchmarks: one command each, printing a table (see the README for the figures)."""
