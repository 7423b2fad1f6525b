"""The workspace: one handbook, loaded, checked and read from git once per command.

The CLI, the build and the preview server take a `Workspace` and ask it for what they need; it
is the one place that wires load -> check -> model together with the git-derived inputs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from .cache import ResultCache
from .errors import ValidationFailed
from .model import CheckedHandbook, Handbook, Packet, checked
from .validate import Loaded, Report, check, explain_outdated_packets, load

if TYPE_CHECKING:
    from .aggregates import Aggregates
    from .history import ChangelogEntry

Progress = Callable[[str], None]
_CHANGELOGS: dict[tuple[str, str], tuple[ChangelogEntry, ...]] = {}  # (repository, HEAD) -> entries


def _quiet(message: str) -> None:
    pass


@dataclass(frozen=True, eq=False)
class Workspace:
    """A handbook (and, in the two-repository layout, its packets repository) on a given day.

    Each property is computed on first use and kept: the loaded sources, the report, the checked
    handbook, the criteria changelog, submission dates. `only` narrows the report to those files
    (still checked against the whole model)."""

    root: Path
    today: date
    packets_root: Path | None = None
    cache: ResultCache | None = None
    only: tuple[Path, ...] | None = None
    progress: Progress | None = field(default=None, compare=False)  # loading many files: what it is doing
    warn: Progress | None = field(default=None, compare=False)  # git history: files it leaves out

    def fresh(self) -> Workspace:
        """The same workspace with nothing computed yet: the files changed (the preview server)."""
        return replace(self)

    @property
    def data_root(self) -> Path:
        """Where packets, internal sites and exports live."""
        return self.packets_root or self.root

    @property
    def templates(self) -> Path:
        return self.root / "site_config" / "templates"

    @cached_property
    def loaded(self) -> Loaded:
        return load(self.root, list(self.only) if self.only is not None else None, self.cache,
                    progress=self.progress, packets_root=self.packets_root)

    @cached_property
    def report(self) -> Report:
        """Every problem: load, schema and rules (the old versions packets pin included)."""
        return check(self.loaded, self.today)

    @cached_property
    def explained_report(self) -> Report:
        """The report with each 'version behind' warning saying what changed since."""
        return explain_outdated_packets(self.report)

    @cached_property
    def handbook(self) -> CheckedHandbook:
        """The checked handbook; raises ValidationFailed (which prints the report) when it has errors."""
        if self.report.errors or self.report.handbook.settings is None:
            raise ValidationFailed(self.report)
        return checked(self.report.handbook)

    @cached_property
    def with_settings(self) -> CheckedHandbook:
        """The handbook even with errors elsewhere, as long as its settings are valid (a new packet
        can be planned from it); raises ValidationFailed otherwise."""
        if self.report.handbook.settings is None:
            raise ValidationFailed(self.report, "site settings are missing or invalid")
        return checked(self.report.handbook)

    def packet(self, file: str) -> Packet | None:
        """The packet at this repository-relative path, even in a report with errors."""
        return self.report.handbook.packet(file)

    @cached_property
    def changelog(self) -> tuple[ChangelogEntry, ...]:
        """The criteria changelog from git. It depends only on commits, so it is read once per
        HEAD per process (a preview regenerating on every edit reads it again only when HEAD
        moves); files left out are reported as warnings the first time."""
        from .history import changelog, head_commit

        head = head_commit(self.root)
        key = (str(self.root.resolve()), head or "")
        if head is None or key not in _CHANGELOGS:
            warn = self.warn or _quiet
            _CHANGELOGS[key] = changelog(self.root, warn=lambda message: warn(f"warning: {message}"))
        return _CHANGELOGS[key]

    @cached_property
    def submission_dates(self) -> Mapping[str, date]:
        """When each packet file was first committed (from the packets' repository)."""
        from .history import submission_dates

        return submission_dates(self.data_root)

    def site_aggregates(self, include_private: bool) -> Aggregates | None:
        """What the Process health page shows: the committed file, or live figures for an internal build."""
        from .aggregates import read_published
        from .process_health import process_health

        if include_private:
            if self.warn is not None:
                from .process_health import impossible_durations

                for warning in impossible_durations(self.handbook, self.submission_dates):
                    self.warn(f"warning: {warning}")
            return process_health(self.handbook, self.submission_dates, self.today)
        return read_published(self.root)

    def at_version(self, version: str) -> Handbook | None:
        """The handbook at another criteria version, as packets pinned to it are judged."""
        return self.report.handbook.pinned.get(version)

    # --- git: other revisions of the criteria ---------------------------------------------------

    @cached_property
    def in_git(self) -> bool:
        from .history import is_repository

        return is_repository(self.root)

    def default_base(self) -> str:
        """The merge-base with main (raises GitError)."""
        from .history import default_base

        return default_base(self.root)

    def at_revision(self, revision: str | None) -> Handbook:
        """The handbook model (no rules run) at a git revision, or in the working tree for None."""
        from .history import load_revision, load_working_tree

        return load_revision(self.root, revision) if revision else load_working_tree(self.root)

    def changed_since(self, base: str) -> tuple[list[str], bool]:
        """Packets the change since `base` adds or modifies, and whether the criteria changed."""
        from .history import changed_since

        return changed_since(self.root, base)
