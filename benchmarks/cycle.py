"""A promotion cycle at scale: `handbook calibrate` and `handbook status` over 500 packets with 3
sealed, signed reviews each (target: each at most 10 s on 2 cores).

    python -m benchmarks.cycle [--packets 500] [--reviews 3] [--repeat 3]

The handbook is this repository's own content with reviewers registered (ed25519 keys) and sealing
on (one committee member); packets are copies of the example packet, each assigned to the three
reviewers and reviewed by them, signed then sealed as `handbook review` does. Each figure is the
median of --repeat runs in a fresh process (calibrate opens and verifies every review).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import yaml

from benchmarks.run import REPO, handbook, measure, table

CYCLE = "2026-h2"
CONTENT = ("site_config", "rubrics", "levels", "mkdocs.yml")


def build(repo: Path, keys: Path, packets: int, reviews: int) -> Path:
    import sys

    sys.path.insert(0, str(REPO))
    import pyrage
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from generator.actions.keys import public_line
    from generator.actions.reviews import signed_review
    from generator.check.reviews import review_file
    from generator.model.handbook import ReviewProcess

    for name in CONTENT:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / name)
    reviewers = {f"reviewer-{i}": Ed25519PrivateKey.generate() for i in range(reviews)}
    identity = pyrage.x25519.Identity.generate()
    keys.write_text(f"{identity}\n")
    settings = repo / "site_config/handbook.yaml"
    text = settings.read_text()
    lines = "".join(f'\n    - {{id: {r}, key: "{public_line(k)}"}}' for r, k in reviewers.items())
    text = text.replace(
        "review_process:\n  reviewers_per_packet: 3", f"review_process:\n  reviewers_per_packet: 3\n  reviewers:{lines}"
    )
    text = text.replace(
        "  sealing:\n    enabled: false\n    decisions_keep_ratings: false\n    committee: []\n",
        f"  sealing:\n    enabled: true\n    committee:\n      - {{member: Chair, recipient: "
        f"{identity.to_public()}}}\n",
    )
    settings.write_text(text)
    process = ReviewProcess(
        reviewers_per_packet=3,
        calibration="-",
        appeal="-",
        steps=("-",),
        sealing=True,
        committee=(("Chair", str(identity.to_public())),),
    )
    example = yaml.safe_load((REPO / "packets/examples/priya-raman-senior.yaml").read_text())
    example.pop("assessments", None)
    example.update(visibility="private", cycle=CYCLE, decision={"status": "submitted"})
    folder = repo / "packets" / CYCLE
    folder.mkdir(parents=True)
    assignments = {}
    for index in range(packets):
        slug = f"candidate-{index:04d}"
        (folder / f"{slug}.yaml").write_text(
            yaml.safe_dump({**example, "candidate": f"Candidate {index}"}, sort_keys=False)
        )
    from datetime import date

    from generator.check.reviews import packet_digest
    from generator.workspace.workspace import Workspace

    model = Workspace(repo, date(2026, 11, 28)).loaded.handbook  # a signature binds the packet as reviewed
    for index in range(packets):
        slug = f"candidate-{index:04d}"
        packet_file = f"packets/{CYCLE}/{slug}.yaml"
        packet = model.packet(packet_file)
        assert packet is not None
        assignments[slug] = {"reviewers": list(reviewers), "assigned": "2026-11-10"}
        for offset, (reviewer, key) in enumerate(reviewers.items()):
            rating = 2 + (index + offset) % 3
            body = {
                "ratings": {
                    d: {"rating": rating, "note": f"note {index}"} for d in ("delivery", "reliability", "collaboration")
                }
            }
            relative = review_file(packet_file, reviewer)
            path = repo / relative
            path.parent.mkdir(exist_ok=True)
            header = {
                "reviewer": reviewer,
                "packet": slug,
                "date": "2026-11-20",
                "packet_digest": packet_digest(packet),
            }
            path.write_text(signed_review(relative, packet_file, header, body, process, key))
    (folder / "assignments.yaml").write_text(yaml.safe_dump({"cycle": CYCLE, "packets": assignments}))
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--packets", type=int, default=500)
    parser.add_argument("--reviews", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="handbook-bench-cycle-") as folder:
        repo = Path(folder) / "org"
        repo.mkdir()
        keys = Path(folder) / "chair.key"
        build(repo, keys, args.packets, args.reviews)
        env = {"HANDBOOK_TODAY": "2026-11-28"}
        size = f"{args.packets} packets x {args.reviews} sealed signed reviews"
        rows = []
        for label, command in (
            ("calibrate", handbook("calibrate", CYCLE, "--identity", str(keys))),
            ("status", handbook("status", CYCLE)),
            ("validate", handbook("validate", "--no-cache")),
        ):
            seconds, peak = measure(command, repo, env, args.repeat, expect_success=True)
            rows.append(
                [
                    f"{label} ({size})",
                    f"{seconds:.2f} s",
                    f"{peak} MiB",
                    "target <= 10 s" if label != "validate" else "",
                    "fresh process, median",
                ]
            )
        print(table(rows))


if __name__ == "__main__":
    main()
