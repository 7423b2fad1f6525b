"""One error family: every failure the program reports to a person (never a traceback).

Each error carries its exit status; Click's entry point prints it (`error: message`) and exits.
Nothing else in the package calls `sys.exit`."""

from __future__ import annotations

from typing import IO, Any

import click

from .safe_text import for_terminal


class HandbookError(click.ClickException):
    """A failure with a message for a person and an exit status (1 unless the subclass says so
    with its own `exit_code`)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {for_terminal(self.format_message())}", err=True)


class ValidationFailed(HandbookError):
    """The handbook has errors: the report (already rendered as text by the caller) is printed
    first, then what could not be done."""

    def __init__(self, report_text: str, message: str = "validation failed; fix the errors above first") -> None:
        super().__init__(message)
        self.report_text = report_text

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.report_text, err=True)
        super().show(file)


class BuildError(HandbookError):
    """The build stopped; `report_text` holds the rendered validation problems when that is why."""

    def __init__(self, message: str, report_text: str | None = None) -> None:
        super().__init__(message)
        self.report_text = report_text

    def show(self, file: IO[Any] | None = None) -> None:
        if self.report_text is not None:
            click.echo(self.report_text, err=True)
        super().show(file)


class GitError(HandbookError):
    """A git command failed."""


class ScaffoldError(HandbookError):
    """A new file cannot be planned or written."""


class TemplateError(HandbookError):
    """A template failed: the message reads `file:line: template error: ...`."""
