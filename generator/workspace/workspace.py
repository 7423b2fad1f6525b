"""The workspace: one handbook, loaded, checked and read from git once per command.

The CLI, the build and the preview server take a `Workspace` and ask it for what they need; it
is the one place that wires load -> check -> model together with the git-derived inputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..check.reviews import CONFLICT, UNASSIGNED, UNVERIFIED, with_counting
from ..check.validate import Loaded, check, load
from ..compute.aggregates import check_published
from ..compute.outdated import explain_outdated_packets
from ..git.pinned import Revisions, resolve_pinned
from ..load.cache import ResultCache
from ..load.repository import SETTINGS_FILE
from ..model.diagnostics import Diagnostic, Report, warning
from ..model.errors import GitError, ValidationFailed
from ..model.handbook import CheckedHandbook, Handbook, Packet, checked
from ..model.pinned import with_pinned
from ..report.validation import render
from .layout import find_layout

if TYPE_CHECKING:
    from ..compute.aggregates import Aggregates
    from ..compute.semantic_diff import ChangelogEntry
    from ..compute.team_signals import SignalContext
    from ..compute.teams import TeamFolder

Progress = Callable[[str], None]


@dataclass(eq=False)
class Memo:
    """What a workspace reads from git, kept across its fresh copies (a preview regenerating on
    every edit reads each commit's model and each HEAD's changelog once)."""

    revisions: Revisions
    changelogs: dict[str, tuple[ChangelogEntry, ...]] = field(default_factory=dict)  # HEAD -> entries


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
    memo: Memo | None = field(default=None, compare=False, repr=False)
    workers: int | None = None  # processes for loading many files (None: one per core)
    trusted_base: str | None = None  # a pull request's base commit: whose signatures count is read from it

    def __post_init__(self) -> None:
        if self.memo is None:
            warn = self.warn or _quiet
            object.__setattr__(self, "memo", Memo(Revisions(self.root, lambda message: warn(f"warning: {message}"))))

    @classmethod
    def find(
        cls,
        cwd: Path,
        root: Path | None,
        today: date,
        *,
        packets: bool = True,
        cache: ResultCache | None = None,
        only: tuple[Path, ...] | None = None,
        progress: Progress | None = None,
        warn: Progress | None = None,
    ) -> Workspace:
        """The workspace a command runs in: `root` if given, else the nearest handbook (or, with
        `packets`, packets repository) at or above `cwd`."""
        from ..load.repository import find_root

        if packets:
            layout = find_layout(cwd, root)
            handbook_root, packets_root = layout.handbook_root, layout.packets_root
        else:
            handbook_root, packets_root = root or find_root(cwd), None
        return cls(handbook_root, today, packets_root, cache, only, progress=progress, warn=warn)

    @property
    def _memo(self) -> Memo:
        assert self.memo is not None  # set in __post_init__
        return self.memo

    @property
    def revisions(self) -> Revisions:
        """The handbook's models by commit, each read from git once for this workspace and its copies."""
        return self._memo.revisions

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
        """The files, loaded and schema-checked, with the handbooks at the versions packets pin
        (from git) and the problems of the committed process-health aggregates."""
        loaded = load(
            self.root,
            list(self.only) if self.only is not None else None,
            self.cache,
            workers=self.workers,
            progress=self.progress,
            packets_root=self.packets_root,
        )
        handbook = loaded.handbook
        versions = {p.criteria_version for p in handbook.packets}
        try:
            handbook = with_pinned(handbook, resolve_pinned(self._memo.revisions, handbook, versions))
        except GitError as problem:
            raise GitError(f"cannot read the criteria history from git: {problem}") from None
        diagnostics = loaded.diagnostics
        if self.trusted_base is not None:
            handbook, pending = self._trusting_base(handbook)
            diagnostics += pending + rolled_back(self.data_root, self.trusted_base, handbook)
        if handbook.settings is not None:  # a review counts only once checked: signature, conflicts, assignment
            handbook = replace(handbook, packets=with_counting(handbook.settings.review_process, handbook.packets))
        files_checked = loaded.files_checked
        if self.only is None and self.packets_root is None:
            diagnostics += tuple(check_published(self.root))
            from ..compute.teams import team_folder_problems

            team_problems, team_files = team_folder_problems(self.teams)  # teams/: events, bands, computations
            diagnostics += tuple(team_problems)
            files_checked += team_files
        return replace(loaded, handbook=handbook, diagnostics=diagnostics, files_checked=files_checked)

    def _trusting_base(self, handbook: Handbook) -> tuple[Handbook, tuple[Diagnostic, ...]]:
        """The handbook with the registered reviewers, their keys and the conflict rules as they are
        at the trusted base commit: a change must not choose whose signatures count. In a packets
        repository the reviewers live in the handbook (checked out at the ref packets.yaml names),
        so it is packets.yaml that must be the base's."""
        assert self.trusted_base is not None
        if self.packets_root is not None:
            from .handbook_ref import base_manifest

            base_manifest(self.packets_root, self.trusted_base)  # raises when this change edits it
            return handbook, ()
        settings = handbook.settings
        base = self.at_revision(self.trusted_base).settings
        if settings is None:
            return handbook, ()
        if base is None:
            raise ValidationFailed(
                f"the base commit {self.trusted_base} has no valid {SETTINGS_FILE}: cannot tell whose signatures count"
            )
        current, trusted = settings.review_process, base.review_process
        if (current.reviewers, current.conflicts) == (trusted.reviewers, trusted.conflicts):
            return handbook, ()
        process = replace(current, reviewers=trusted.reviewers, conflicts=trusted.conflicts)
        pending = warning(
            settings.file,
            "reviewers-changed",
            "this change edits the registered reviewers or the "
            f"conflict rules: reviews are checked against those of the base ({self.trusted_base[:12]}) "
            "until it is merged",
            ("review_process",),
        )
        return replace(handbook, settings=replace(settings, review_process=process)), (pending,)

    @cached_property
    def report(self) -> Report:
        """Every problem: load, schema and rules (the old versions packets pin included)."""
        report = check(self.loaded, self.today)
        from ..compute.team_signals import validation_problems

        signals = validation_problems(self.loaded, lambda: self.signal_context, self.today)  # evidence team_signal
        if not signals:
            return report
        ordered = sorted(dict.fromkeys((*report.diagnostics, *signals)), key=Diagnostic.sort_key)
        return replace(report, diagnostics=tuple(ordered))

    @cached_property
    def teams(self) -> TeamFolder:
        """teams/, the bands and the metric catalogue, read and checked once for this workspace."""
        from ..compute.teams import read_team_folder

        return read_team_folder(self.root, self.cache)

    @cached_property
    def signal_context(self) -> SignalContext:
        """What evidence team signals are checked and computed against (from `teams`)."""
        from ..compute.team_signals import context_of

        return context_of(self.teams)

    @cached_property
    def explained_report(self) -> Report:
        """The report with each 'version behind' warning saying what changed since."""
        return explain_outdated_packets(self.report)

    @cached_property
    def handbook(self) -> CheckedHandbook:
        """The checked handbook; raises ValidationFailed (which prints the report) when it has errors."""
        if self.report.errors or self.report.handbook.settings is None:
            raise ValidationFailed(render(self.report, "text"))
        return checked(self.report.handbook)

    @cached_property
    def cycle_handbook(self) -> CheckedHandbook:
        """The checked handbook for the committee's commands: reviews that do not count (unsigned,
        forged, conflicted, unassigned) are shown as such by those commands instead of stopping them."""
        shown = {UNVERIFIED, CONFLICT, UNASSIGNED}
        if any(d.code not in shown for d in self.report.errors) or self.report.handbook.settings is None:
            raise ValidationFailed(render(self.report, "text"))
        return checked(self.report.handbook)

    @cached_property
    def with_settings(self) -> CheckedHandbook:
        """The handbook even with errors elsewhere, as long as its settings are valid (a new packet
        can be planned from it); raises ValidationFailed otherwise."""
        if self.report.handbook.settings is None:
            raise ValidationFailed(render(self.report, "text"), "site settings are missing or invalid")
        return checked(self.report.handbook)

    def packet(self, file: str) -> Packet | None:
        """The packet at this repository-relative path, even in a report with errors."""
        return self.report.handbook.packet(file)

    @cached_property
    def changelog(self) -> tuple[ChangelogEntry, ...]:
        """The criteria changelog from git. It depends only on commits, so it is read once per
        HEAD per process (a preview regenerating on every edit reads it again only when HEAD
        moves); files left out are reported as warnings the first time."""
        from ..git.changelog import changelog
        from ..git.history import head_commit

        head = head_commit(self.root)
        changelogs = self._memo.changelogs
        if head is None or head not in changelogs:
            changelogs[head or ""] = changelog(self._memo.revisions)
        return changelogs[head or ""]

    @cached_property
    def submission_dates(self) -> Mapping[str, date]:
        """When each packet file was first committed (from the packets' repository)."""
        from ..git.history import submission_dates

        return submission_dates(self.data_root)

    @cached_property
    def group_key(self) -> bytes:
        """The packets repository's secret for keyed group hashes: its first commit(s), which only
        those who can read the repository know. Empty outside git (groups are then known by id)."""
        from ..git.history import root_commits

        return root_commits(self.data_root).encode()

    def site_aggregates(self, include_private: bool) -> Aggregates | None:
        """What the Process health page shows: the committed file, or live figures for an internal build."""
        from ..compute.aggregates import read_published
        from ..compute.process_health import process_health

        if include_private:
            if self.warn is not None:
                from ..compute.process_health import impossible_durations

                for warning in impossible_durations(self.handbook, self.submission_dates):
                    self.warn(f"warning: {warning}")
            return process_health(self.handbook, self.submission_dates, self.today, group_key=self.group_key)
        return read_published(self.root)

    def at_version(self, version: str) -> Handbook | None:
        """The handbook at another criteria version, as packets pinned to it are judged."""
        return self.report.handbook.pinned.get(version)

    # --- git: other revisions of the criteria ---------------------------------------------------

    @cached_property
    def in_git(self) -> bool:
        from ..git.history import is_repository

        return is_repository(self.root)

    def default_base(self) -> str:
        """The merge-base with main (raises GitError)."""
        from ..git.history import default_base

        return default_base(self.root)

    def at_revision(self, revision: str | None) -> Handbook:
        """The handbook model (no rules run) at a git revision, or in the working tree for None."""
        from ..git.history import load_revision, load_working_tree

        return load_revision(self.root, revision) if revision else load_working_tree(self.root)

    def changed_since(self, base: str) -> tuple[list[str], bool]:
        """Packets the change since `base` adds or modifies, and whether the criteria changed."""
        from ..git.history import changed_since

        return changed_since(self.root, base)


def rolled_back(data_root: Path, base: str, handbook: Handbook) -> tuple[Diagnostic, ...]:
    """Review files this change rewrites without naming the signature they replace: an older
    signed version put back (or a newer one skipped) would otherwise verify like any other."""
    import yaml

    from ..check.signatures import signature_digest
    from ..git.history import git, git_bytes
    from ..model.diagnostics import error
    from ..model.errors import GitError

    changed = set(git(data_root, "diff", "--name-only", "--no-renames", base, "--", "packets").splitlines())
    found = []
    for item in handbook.reviews:
        if item.file not in changed:
            continue
        try:
            before = yaml.safe_load(git_bytes(data_root, "show", f"{base}:{item.file}"))
        except GitError:
            continue  # a new review
        except yaml.YAMLError:
            before = None
        signature = before.get("signature") if isinstance(before, dict) else None
        if isinstance(signature, str) and item.replaces != signature_digest(signature):
            found.append(
                error(
                    item.file,
                    "review-rollback",
                    f"this change rewrites {item.reviewer}'s review but the "
                    "new version does not name the one it replaces: an older version put back is refused "
                    f"(only `handbook review ... --reviewer {item.reviewer} --replace` writes a new one)",
                    ("reviewer",),
                )
            )
    return tuple(found)


def validate_repository(
    root: Path,
    only: list[Path] | None = None,
    *,
    today: date,
    cache: ResultCache | None = None,
    progress: Progress | None = None,
    packets_root: Path | None = None,
    workers: int | None = None,
) -> Report:
    """`load` then `check`, with the versions packets pin: the report on the repository at `root`."""
    space = Workspace(
        root, today, packets_root, cache, tuple(only) if only is not None else None, progress=progress, workers=workers
    )
    return space.report
