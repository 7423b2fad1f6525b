"""The compute stage (see notes on the package layout)."""
