"""The `handbook` command: parses arguments and wires the stages together, nothing more.

One module per command group; each command imports what it needs when it runs."""

from __future__ import annotations

import click

from .. import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="handbook")
def main() -> None:
    """Rubrics, levels and promotion packets as validated YAML, published as a handbook."""


def _register() -> None:
    from . import criteria, cycle, handbook, packets, reviews, teams

    for module in (handbook, criteria, packets, reviews, cycle, teams):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
