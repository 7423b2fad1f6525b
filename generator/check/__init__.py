"""The check stage (see notes on the package layout)."""
