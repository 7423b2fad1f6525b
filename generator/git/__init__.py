"""Everything that runs git: history of the criteria, cloned handbooks."""
