"""Pure computations over the model (stage: compute)."""
