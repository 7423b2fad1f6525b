"""The `handbook` generator: load → validate → model → render/report."""

__version__ = "0.1.0"
