"""What every command shares: options, the workspace it runs in, and how reports are printed.

Heavy libraries (jsonschema, Jinja2, MkDocs, pyrage) are imported only inside the functions that
need them, so `handbook --help` starts at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ..model.errors import HandbookError
from ..site.engines import ENGINES

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ..model.handbook import Packet, ReviewProcess
    from ..workspace.workspace import Workspace

REPORT_FORMATS = ("text", "markdown", "json")
F = TypeVar("F", bound=Callable[..., Any])
Pairs = tuple[str, ...]  # repeated KEY=VALUE options


def parse_today(value: str | None) -> date:
    """--today (or HANDBOOK_TODAY) as a date; the clock only when neither is given."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date in YYYY-MM-DD form", param_hint="--today") from None


def workspace(
    root: Path | None,
    today: str | None,
    paths: list[Path] | None = None,
    *,
    cache: bool = False,
    progress: bool = False,
    packets: bool = True,
) -> Workspace:
    """The workspace a command runs in: --root, else found from the working directory (with
    `packets`, a packets repository is found too)."""
    from ..load.cache import ResultCache
    from ..workspace.workspace import Workspace

    return Workspace.find(
        Path.cwd(),
        root,
        parse_today(today),
        packets=packets,
        cache=ResultCache() if cache else None,
        only=tuple(paths) if paths is not None else None,
        progress=say if progress else None,
        warn=say if progress else None,
    )


def handbook_root(root: Path | None) -> Path:
    """The handbook repository a command reads: --root, else found from the working directory (inside
    a packets repository, the handbook it names), as `workspace` finds it."""
    from ..workspace.layout import find_layout

    return find_layout(Path.cwd(), root).handbook_root


def fail(message: str) -> NoReturn:
    raise HandbookError(message)


def emit(root: Path, name: str, fmt: str, value: Any, **context: Any) -> None:
    """A report as JSON, or through its text or Markdown template in site_config/templates/reports/."""
    from ..report.commands import render_report, to_json

    if fmt == "json":
        click.echo(to_json(value))
        return
    click.echo(render_report(root / "site_config" / "templates", name, fmt, **context), nl=False)


def say(message: str) -> None:
    """Progress and warnings, on standard error."""
    click.echo(f"• {message}", err=True)


def packet_in(space: Workspace, packet: Path) -> Packet:
    """The packet at PACKET in this workspace (usage error when it is not one)."""
    try:
        relative = packet.resolve().relative_to(space.data_root.resolve()).as_posix()
    except ValueError:
        raise click.BadParameter(f"{packet} is not inside {space.data_root}", param_hint="PACKET") from None
    found = space.packet(relative)
    if found is None:
        raise click.BadParameter(f"{packet} is not a packet (packets live under packets/)", param_hint="PACKET")
    return found


root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Handbook repository (default: the nearest folder above with site_config/handbook.yaml).",
)
today_option = click.option(
    "--today", metavar="YYYY-MM-DD", envvar="HANDBOOK_TODAY", help="Date used for review deadlines (default: today)."
)
engine_option = click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="mkdocs",
    show_default=True,
    help="Site engine. Zensical, Material's successor, is an extra: pip install '.[zensical]'.",
)
identity_option = click.option(
    "--identity",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="KEYFILE",
    help="A committee member's age identity file (AGE-SECRET-KEY-1...).",
)


signing_key_option = click.option(
    "--signing-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="HANDBOOK_SIGNING_KEY",
    metavar="KEYFILE",
    help="Your SSH private key (ed25519), the one registered for you in the settings (default: $HANDBOOK_SIGNING_KEY).",
)


def signer(process: ReviewProcess, reviewer: str, path: Path | None) -> Ed25519PrivateKey | None:
    """The reviewer's signing key, checked against the key the settings register for them; None
    when the settings register no reviewers and no key is given."""
    from ..actions.keys import load_signing_key, same_key

    registered = process.reviewer(reviewer)
    if process.reviewers and registered is None:
        fail(
            f"'{reviewer}' is not a registered reviewer (review_process.reviewers in the settings lists "
            f"{', '.join(r.id for r in process.reviewers)})"
        )
    if path is None:
        if process.reviewers:
            fail(f"reviews are signed: pass --signing-key KEYFILE, the SSH private key registered for {reviewer}")
        return None
    key = load_signing_key(path, lambda: click.prompt(f"Passphrase for {path}", hide_input=True, err=True))
    if registered is not None and not same_key(key, registered.key):
        fail(
            f"{path} is not the key registered for {reviewer}: only {reviewer} can write or replace {reviewer}'s review"
        )
    return key


def format_option(choices: tuple[str, ...] = REPORT_FORMATS) -> Callable[[F], F]:
    return click.option("--format", "fmt", type=click.Choice(choices), default="text", show_default=True)
