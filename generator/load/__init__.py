"""The load stage (see notes on the package layout)."""
