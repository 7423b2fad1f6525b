"""The site engines a build can run: both read mkdocs.yml (see DESIGN: Zensical is Material's successor)."""

ENGINES = ("mkdocs", "zensical")
ENGINE_ENV = {"NO_MKDOCS_2_WARNING": "1"}  # Material's documented switch for its end-of-life banner
