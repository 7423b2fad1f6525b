"""The actions stage: commands that write files."""
