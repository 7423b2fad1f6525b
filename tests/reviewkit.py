"""Helpers for the sealed-review tests: real age keys, a committee, packets with known answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyrage
import yaml
from conftest import REPO, edit

from generator.actions.reviews import file_text, seal
from generator.check.reviews import review_file

DIMS = ("delivery", "reliability", "collaboration")

# packet slug -> (decision, {reviewer: (delivery, reliability, collaboration)})
# Known answers (composite weights 0.4/0.35/0.25, bar 3, gate: reliability below 2.5 caps at 2.5):
#   alpha   promoted, all 4            -> composite 4,    no flag
#   bravo   promoted, all 2            -> composite 2,    conflict (promoted below the bar)
#   charlie not-yet, delivery 5/3/4, collaboration 4/4/2 -> composite 3.83, conflict (not yet above the
#           bar), disagreement on delivery and collaboration
#   delta   submitted, 3/3/3 and 4/4/3 -> composite 3.38,  nothing (no decision yet; spreads of 1)
CASES = {
    "alpha": ("promoted", {"bob": (4, 4, 4), "carol": (4, 4, 4), "dan": (4, 4, 4)}),
    "bravo": ("promoted", {"bob": (2, 2, 2), "carol": (2, 2, 2), "dan": (2, 2, 2)}),
    "charlie": ("not-yet", {"bob": (5, 4, 4), "carol": (3, 4, 4), "dan": (4, 4, 2)}),
    "delta": ("submitted", {"bob": (3, 3, 3), "carol": (4, 4, 3)}),
}
SECRET_NOTE = "zebra-marker note only the committee may read"


class Committee:
    def __init__(self, folder: Path, members: int = 2) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.identities = [pyrage.x25519.Identity.generate() for _ in range(members)]
        self.recipients = [str(i.to_public()) for i in self.identities]
        self.keyfiles = []
        for index, identity in enumerate(self.identities):
            path = folder / f"member-{index}.key"
            path.write_text(f"# created: test\n# public key: {identity.to_public()}\n{identity}\n", "utf-8")
            self.keyfiles.append(path)
        outsider = pyrage.x25519.Identity.generate()
        self.outsider = folder / "outsider.key"
        self.outsider.write_text(f"{outsider}\n", "utf-8")


def enable_sealing(repo: Path, committee: Committee, keep: bool = True, bar: float | None = None) -> None:
    members = "".join(
        f"\n      - member: Member {i}\n        recipient: {r}" for i, r in enumerate(committee.recipients)
    )
    extra = f"\n  conflict_bar: {bar}" if bar is not None else ""
    settings = repo / "site_config/handbook.yaml"
    edit(settings, "review_process:\n  reviewers_per_packet: 3", f"review_process:\n  reviewers_per_packet: 3{extra}")
    edit(
        settings,
        "  sealing:\n    enabled: false\n    decisions_keep_ratings: false\n    committee: []\n",
        f"  sealing:\n    enabled: true\n    decisions_keep_ratings: {'true' if keep else 'false'}\n"
        f"    committee:{members}\n",
    )


def write_packet(repo: Path, slug: str, decision: str, cycle: str = "2026-h2") -> str:
    data = yaml.safe_load((REPO / "packets/examples/priya-raman-senior.yaml").read_text("utf-8"))
    data.pop("assessments")
    data.update(candidate=f"Candidate {slug.title()}", visibility="private", cycle=cycle)
    data["decision"] = {"status": decision, **({"date": "2026-11-27"} if decision in ("promoted", "not-yet") else {})}
    relative = f"packets/{cycle}/{slug}.yaml"
    (repo / relative).parent.mkdir(parents=True, exist_ok=True)
    (repo / relative).write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return relative


def body(ratings: tuple[int, ...], note: str | None = None) -> dict[str, Any]:
    return {
        "ratings": {d: {"rating": r, **({"note": note} if note else {})} for d, r in zip(DIMS, ratings)},
        "criteria": [
            {"criterion": "del-ic3-projects", "judgement": "met", "convincing": ["billing-bus-plan"]},
            {"criterion": "rel-ic3-slos", "judgement": "not-met", "unconvincing": ["search-error-budget"]},
        ],
        "counterexamples": [{"description": f"{note or 'a'} counterexample", "criterion": "rel-ic3-slos"}],
    }


def write_review(
    repo: Path, packet_file: str, reviewer: str, content: dict[str, Any], recipients: list[str] | None
) -> Path:
    relative = review_file(packet_file, reviewer)
    header = {
        "reviewer": reviewer,
        "packet": packet_file.rsplit("/", 1)[-1].removesuffix(".yaml"),
        "date": "2026-11-20",
    }
    text = (
        file_text(relative, header, armored=seal(content, recipients))
        if recipients
        else file_text(relative, header, content)
    )
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def build_cycle(repo: Path, committee: Committee | None) -> None:
    """The four known-answer packets of 2026-h2, with reviews sealed to `committee` (or in clear)."""
    for slug, (decision, reviews) in CASES.items():
        packet = write_packet(repo, slug, decision)
        for reviewer, ratings in reviews.items():
            write_review(
                repo,
                packet,
                reviewer,
                body(ratings, f"{SECRET_NOTE} {reviewer}"),
                committee.recipients if committee else None,
            )
