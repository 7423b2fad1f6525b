"""The render stage: the handbook model becomes Markdown pages, an MkDocs config and assets."""
