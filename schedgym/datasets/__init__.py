"""Shipped benchmark suites with best-known bounds, loadable by name."""
