"""The validate stage: load every file, check schemas, build the model, check cross-references."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..load.cache import ResultCache
from ..load.loader import Document
from ..load.repository import SourceFile, classify, discover, file_name_problems
from ..model.diagnostics import Diagnostic, Report, error
from ..model.handbook import Handbook
from . import rules
from .assemble import build_handbook
from .batch import check_files
from .layout import private_packets_warning
from .partial import Salvaged, salvage
from .pinned import check_pinned

REQUIRED_FILES = {"settings": "site_config/handbook.yaml"}  # rubrics/composite.yaml is optional


@dataclass(frozen=True)
class Loaded:
    """What loading gives, before any rule runs: the files, their load and schema problems, and
    the model of everything well-formed (a partial model when some files are broken)."""

    root: Path
    files_checked: int
    diagnostics: tuple[Diagnostic, ...]
    handbook: Handbook
    documents: Mapping[str, Document] = field(default_factory=dict, repr=False)
    salvaged: Mapping[str, Salvaged] = field(default_factory=dict, repr=False)
    selected: frozenset[str] | None = None  # with `only`: the files whose problems are reported
    separate: bool = False  # packets come from a packets repository


def load(
    root: Path,
    only: list[Path] | None = None,
    cache: ResultCache | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    packets_root: Path | None = None,
) -> Loaded:
    """Load the repository at `root`: sources, documents, load and schema diagnostics, and the
    (partial) model. No rule runs and no clock is read. With `only`, just those files' problems are
    reported, still checked against the whole model; packets it does not name are not even read.

    With `packets_root` (a packets repository), packets come from there and everything else from
    the handbook at `root`. The handbooks at the criteria versions packets pin come from git: the
    workspace adds them (`model.pinned.with_pinned`) before `check` judges each packet by its version."""
    sources, problems = discover(root, packets_root)
    selected: set[str] | None = None
    if only is not None:
        selected = set()
        known = {s.display for s in sources}
        for path in only:
            source, problem = classify(_owner(root, packets_root, path), path)
            if problem:
                problems.append(problem)
                selected.add(problem.file)
            elif source:
                selected.add(source.display)
                if source.display not in known:
                    known.add(source.display)
                    sources.append(source)
                    problems.extend(file_name_problems(source))
    if selected is not None:
        sources = _only_selected(sources, selected)
    documents, diagnostics = _load_and_check(sources, cache, workers, progress)
    diagnostics = problems + diagnostics + _missing_required(sources)
    loaded = {doc.path for _, doc, _ in documents}
    # A file that could not be loaded still declares its id through its name: no cascade of "unknown id".
    unloadable = [(s.kind, {"id": s.path.stem}) for s in sources if s.display not in loaded]
    # A file with schema errors still takes part where it is well-formed: its rules run on the rest.
    salvaged: dict[str, Salvaged] = {}
    for kind, doc, ok in documents:
        if not ok and (part := salvage(doc.data, kind)) is not None:
            salvaged[doc.path] = part
    handbook = build_handbook(
        [
            (kind, doc.path, doc.data if ok else salvaged[doc.path].data)
            for kind, doc, ok in documents
            if ok or doc.path in salvaged
        ],
        [*((kind, doc.data) for kind, doc, _ in documents), *unloadable],
    )
    diagnostics = _team_firewall(diagnostics, documents, handbook)
    return Loaded(
        root,
        len(selected) if selected is not None else len(sources),
        tuple(diagnostics),
        handbook,
        {doc.path: doc for _, doc, _ in documents},
        salvaged,
        frozenset(selected) if selected is not None else None,
        packets_root is not None,
    )


def check(loaded: Loaded, today: date) -> Report:
    """Run every rule on the loaded model (each packet against the criteria version it pins) and
    give the report: load, schema and rule problems, located in their files, one per value."""
    handbook = loaded.handbook
    diagnostics = list(loaded.diagnostics)
    findings = check_pinned(handbook, rules.check_all(handbook, today), today, rules.check_all)
    findings += private_packets_warning(handbook, separate=loaded.separate)
    for finding in findings:
        if finding.file in loaded.salvaged and loaded.salvaged[finding.file].hides(finding):
            continue  # the schema check already reported this value: one mistake, one message
        doc = loaded.documents.get(finding.file)
        diagnostics.append(doc.locate(finding) if doc else finding)
    if loaded.selected is not None:
        diagnostics = [d for d in diagnostics if d.file in loaded.selected]
    ordered = tuple(sorted(_one_per_value(dict.fromkeys(diagnostics)), key=Diagnostic.sort_key))
    return Report(loaded.files_checked, ordered, handbook, frozenset(loaded.salvaged))


def _team_firewall(
    diagnostics: list[Diagnostic], documents: list[tuple[str, Document, bool]], handbook: Handbook
) -> list[Diagnostic]:
    """A packet stating a DORA or SLO figure as the person's own: one clear error in place of 'unknown key'."""
    from .teams import packet_figure_problems

    found = packet_figure_problems(
        {doc.path: doc for _, doc, _ in documents},
        {doc.path: kind for kind, doc, _ in documents},
        (m.id for m in handbook.metrics),
    )
    if not found:
        return diagnostics
    places = {(d.file, d.line, d.column) for d in found}
    return [
        d for d in diagnostics if (d.file, d.line, d.column) not in places or not d.code.startswith("schema-")
    ] + found


def _one_per_value(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """A value the loader already explained (`yes` read as a boolean) gets no second, schema message."""
    explained = {(d.file, d.line, d.column) for d in diagnostics if d.code == "ambiguous-scalar"}
    return [d for d in diagnostics if not (d.code.startswith("schema-") and (d.file, d.line, d.column) in explained)]


def _only_selected(sources: list[SourceFile], selected: set[str]) -> list[SourceFile]:
    """Packets named, with their review files, and the packet of every review named."""
    packets = selected | {
        s.display.rsplit("/", 1)[0].removesuffix(".reviews") + ".yaml"
        for s in sources
        if s.kind == "review" and s.display in selected
    }
    return [
        s
        for s in sources
        if (s.kind == "packet" and s.display in packets)
        or (
            s.kind == "review"
            and (s.display in selected or s.display.rsplit("/", 1)[0].removesuffix(".reviews") + ".yaml" in packets)
        )
        or s.kind not in ("packet", "review")
    ]


def _load_and_check(
    sources: list[SourceFile], cache: ResultCache | None, workers: int | None, progress: Callable[[str], None] | None
) -> tuple[list[tuple[str, Document, bool]], list[Diagnostic]]:
    documents: list[tuple[str, Document, bool]] = []
    diagnostics: list[Diagnostic] = []
    for checked in check_files(sources, cache, workers, progress):
        diagnostics.extend(checked.diagnostics)
        if checked.document is not None:
            documents.append((checked.source.kind, checked.document, checked.clean))
    return documents, diagnostics


def _missing_required(sources: list[SourceFile]) -> list[Diagnostic]:
    present = {s.kind for s in sources}
    return [
        error(file, "missing-file", f"required file {file} is missing")
        for kind, file in REQUIRED_FILES.items()
        if kind not in present
    ]


def _owner(root: Path, packets_root: Path | None, path: Path) -> Path:
    """The repository a named file belongs to: the packets repository for its files, else the handbook."""
    if packets_root is not None:
        absolute = path if path.is_absolute() else Path.cwd() / path
        try:
            absolute.absolute().relative_to(packets_root.absolute())
            return packets_root
        except ValueError:
            pass
    return root
