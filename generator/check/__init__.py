"""Checks over the loaded model (stage: check)."""
