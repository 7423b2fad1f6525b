"""Loading: reading files safely, YAML, the repository, the result cache."""
