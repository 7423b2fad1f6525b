"""The exact message for realistic mistakes (issue 16): one mistake, one message, in words the person
fixing the file can act on. Each row breaks one default file one way and pins the whole line
`line:col: severity: message [code]` that `handbook validate FILE` prints for it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import FIXED_TODAY

from generator.workspace.workspace import validate_repository

P = "packets/examples/priya-raman-senior.yaml"
A = "packets/examples/amara-okafor-senior.yaml"
NEW = "packets/2026-h2/dani-rivera.yaml"  # written by the test: a submitted packet with no evidence
SUB = ("status: promoted", "status: submitted")

NEW_PACKET = (
    "candidate: Dani Rivera\nvisibility: private\ncycle: 2026-h2\ncriteria_version: 1.3.0\ntrack: ic\n"
    "current_level: ic2\ntarget_level: ic3\nsummary: Dani led the search rebuild.\nevidence: []\n"
    "decision:\n  status: submitted\n"
)

MISTAKES = [
    (
        "colon in title",
        P,
        [
            (
                "title: Caching strategy for invoice rendering, with load-test comparison",
                "title: Caching strategy: invoice rendering",
            )
        ],
        "26:28: error: YAML syntax error: the text on line 26 holds ': ', which YAML reads as a new key; put the text in double quotes: title: \"Caching strategy: invoice rendering\" [yaml-syntax]",
    ),
    (
        "hash cuts text",
        P,
        [("impact: Restored service in 38 minutes; all five", "impact: Restored service #38 minutes; all five")],
        "40:13: warning: the text 'Restored service' is followed by ' #', so YAML drops the rest of the line as a comment; put the whole text in double quotes if the '#' belongs to it [comment-in-text]",
    ),
    (
        "key indented too far",
        P,
        [("    kind: design-review", "     kind: design-review")],
        "27:10: error: YAML syntax error: line 27 is indented 5 spaces, which lines up with no line above it: indent it by 4 spaces (like line 26) [yaml-syntax]",
    ),
    (
        "key indented too little",
        P,
        [("    kind: design-review", "   kind: design-review")],
        "27:4: error: YAML syntax error: line 27 is indented 3 spaces, which lines up with no line above it: indent it by 4 spaces (like line 26) or 2 spaces (like line 25), whichever it belongs with [yaml-syntax]",
    ),
    (
        "list item dash off",
        P,
        [("  - id: cache-strategy-rfc", "   - id: cache-strategy-rfc")],
        "25:4: error: YAML syntax error: line 25 is indented 3 spaces, which lines up with no line above it: indent it by 4 spaces (like line 22) or 2 spaces (like line 15), whichever it belongs with [yaml-syntax]",
    ),
    (
        "unclosed bracket",
        P,
        [("criteria: [del-ic3-technical-design]", "criteria: [del-ic3-technical-design")],
        "32:11: error: YAML syntax error: the list opened with '[' on line 31 is never closed with ']' [yaml-syntax]",
    ),
    (
        "unclosed quote",
        P,
        [('date: "2025-11-19"', 'date: "2025-11-19')],
        '37:12: error: YAML syntax error: the text on line 29 opens a quote (") that is not closed on that line; end it with " [yaml-syntax]',
    ),
    (
        "apostrophe in single quotes",
        P,
        [
            (
                "title: Caching strategy for invoice rendering, with load-test comparison",
                "title: 'Priya's caching strategy'",
            )
        ],
        "26:19: error: YAML syntax error: on line 26 the text after 'title:' has an apostrophe inside single quotes; write it in double quotes: title: \"Priya's caching strategy\" [yaml-syntax]",
    ),
    (
        "tab indentation",
        P,
        [("    kind: design-review", "\tkind: design-review")],
        "27:1: error: tab character in indentation; YAML indents with spaces only [tab-indent]",
    ),
    (
        "duplicate key",
        P,
        [("    kind: design-review", "    kind: design-review\n    kind: rfc")],
        "28:5: error: duplicate key 'kind' (first defined on line 27) [duplicate-key]",
    ),
    (
        "misspelled evidence key",
        P,
        [("    impact: p95 invoice", "    impcat: p95 invoice")],
        "32:5: error: evidence 'cache-strategy-rfc' (item 2): 'impcat' should be 'impact' (misspelled key) [schema-misspelled-key]",
    ),
    (
        "misspelled top-level key",
        P,
        [("summary: >-", "sumary: >-")],
        "10:1: error: 'sumary' should be 'summary' (misspelled key) [schema-misspelled-key]",
    ),
    (
        "unknown key",
        P,
        [
            (
                "    role: author\n    criteria: [del-ic3-technical-design]",
                "    role: author\n    reviewers: [ana]\n    criteria: [del-ic3-technical-design]",
            )
        ],
        "31:5: error: evidence 'cache-strategy-rfc' (item 2): unknown key 'reviewers'; allowed keys: criteria, date, id, impact, invisible_work, kind, link, role, team_signal, title [schema-additionalProperties]",
    ),
    (
        "missing impact",
        P,
        [
            (
                "    impact: p95 invoice render time fell from 1.8 s to 240 ms; the chosen design is unchanged six months on.\n",
                "",
            )
        ],
        "25:5: error: evidence 'cache-strategy-rfc' (item 2) has no impact [schema-required]",
    ),
    (
        "date without zero padding",
        P,
        [('date: "2025-11-19"', 'date: "2025-11-9"')],
        "29:11: error: evidence 'cache-strategy-rfc' (item 2): '2025-11-9' is not a date in YYYY-MM-DD form [schema-pattern]",
    ),
    (
        "impossible date",
        P,
        [('date: "2025-11-19"', 'date: "2025-02-30"')],
        "29:11: error: evidence 'cache-strategy-rfc' (item 2): '2025-02-30' is not a real calendar date [schema-format]",
    ),
    (
        "kind not allowed",
        P,
        [("kind: design-review", "kind: blog-post")],
        "27:11: error: evidence 'cache-strategy-rfc' (item 2): 'blog-post' is not one of: pull-request, rfc, design-review, postmortem, incident-response, on-call, mentoring, observability, documentation, glue-work, hiring, other [schema-enum]",
    ),
    (
        "role misspelled",
        P,
        [
            (
                "    role: author\n    criteria: [del-ic3-technical-design]",
                "    role: autor\n    criteria: [del-ic3-technical-design]",
            )
        ],
        "30:11: error: evidence 'cache-strategy-rfc' (item 2): 'autor' is not one of: author, co-author, lead, contributor, reviewer, mentor, responder, facilitator (did you mean 'author'?) [schema-enum]",
    ),
    (
        "target level by name",
        P,
        [("target_level: ic3", "target_level: senior")],
        "9:15: error: target_level names unknown level 'senior' (did you mean 'ic3', Senior Engineer?); levels use ids: ic1 (Engineer I), ic2 (Engineer II), ic3 (Senior Engineer), ic4 (Staff Engineer), ic5 (Principal Engineer) [unknown-level]",
    ),
    (
        "current level unknown",
        P,
        [("current_level: ic2", "current_level: ic9")],
        "8:16: error: current_level names unknown level 'ic9' (did you mean 'ic5'?); levels use ids: ic1 (Engineer I), ic2 (Engineer II), ic3 (Senior Engineer), ic4 (Staff Engineer), ic5 (Principal Engineer) [unknown-level]",
    ),
    (
        "criterion misspelled",
        P,
        [("criteria: [del-ic3-technical-design]", "criteria: [del-ic3-technical-desing]")],
        "31:16: error: evidence 'cache-strategy-rfc' (item 2) cites unknown criterion 'del-ic3-technical-desing' (did you mean 'del-ic3-technical-design'?) [unknown-criterion]",
    ),
    (
        "criterion above target",
        P,
        [("criteria: [del-ic3-technical-design]", "criteria: [del-ic3-technical-design, col-ic4-sponsorship]")],
        "31:42: error: evidence 'cache-strategy-rfc' (item 2) cites 'col-ic4-sponsorship', a Staff Engineer criterion; this packet targets Senior Engineer (cite criteria of Senior Engineer or a level below it) [criterion-wrong-level]",
    ),
    (
        "cycle unknown",
        P,
        [("cycle: 2026-h1", "cycle: 2026-h3")],
        "5:8: error: unknown review cycle '2026-h3' (did you mean '2026-h2'?); valid: 2026-h1, 2026-h2 [unknown-cycle]",
    ),
    (
        "track unknown",
        P,
        [("track: ic", "track: engineering")],
        "7:8: error: unknown track 'engineering'; valid: ic, management [unknown-track]",
    ),
    (
        "visibility public",
        P,
        [("visibility: example", "visibility: public")],
        "4:13: error: 'public' is not one of: example, private [schema-enum]",
    ),
    (
        "version too short",
        P,
        [("criteria_version: 1.3.0", 'criteria_version: "1.2"')],
        "6:19: error: '1.2' is not a version in MAJOR.MINOR.PATCH form, e.g. '1.2.0' [schema-pattern]",
    ),
    (
        "evidence in the future",
        P,
        [('date: "2025-11-19"', 'date: "2027-01-05"')],
        "29:11: error: evidence 'cache-strategy-rfc' (item 2) is dated 2027-01-05, after today (2026-11-28); date it when the work happened [evidence-in-future]",
    ),
    (
        "http link",
        P,
        [("link: https://github.com/northwind/rfcs/pull/118", "link: http://github.com/northwind/rfcs/pull/118")],
        "28:11: error: evidence 'cache-strategy-rfc' (item 2) links with 'http:'; allowed schemes are https (publish.allowed_link_schemes in site settings) [link-scheme]",
    ),
    (
        "rfc without link",
        P,
        [("    link: https://github.com/northwind/rfcs/pull/118\n", "")],
        "25:5: error: evidence 'cache-strategy-rfc' (item 2) has no link: a design-review needs one (kinds that may go without: mentoring, glue-work, on-call, set in review_process.evidence_without_link) [evidence-no-link]",
    ),
    (
        "evidence citing nothing under review",
        P,
        [SUB, ("criteria: [del-ic3-technical-design]", "criteria: []")],
        "31:15: error: evidence 'cache-strategy-rfc' (item 2) cites no criterion: list the ids of the criteria it demonstrates under 'criteria' (the packet is 'submitted'; set decision.status to draft while it is work in progress) [evidence-cites-nothing]",
    ),
    (
        "no evidence under review",
        NEW,
        [],
        "9:11: error: the packet has no evidence yet: add at least one piece, citing the criteria it demonstrates (the packet is 'submitted'; set decision.status to draft while it is work in progress) [no-evidence]",
    ),
    (
        "scaffold summary under review",
        P,
        [
            SUB,
            (
                "summary: >-\n  Over the last three quarters Priya led the billing event-bus migration, became the incident\n  lead for the payments services, and mentored two engineers. This packet argues she has been\n  operating at Senior scope for two cycles.",
                "summary: >-\n  One paragraph: the case in your own words, and the period it covers.",
            ),
        ],
        "10:10: error: the summary is still placeholder text: write the case in your own words (the packet is 'submitted'; set decision.status to draft while it is work in progress) [placeholder]",
    ),
    (
        "placeholder impact in a draft",
        P,
        [
            ("status: promoted", "status: draft"),
            (
                "impact: p95 invoice render time fell from 1.8 s to 240 ms; the chosen design is unchanged six months on.",
                "impact: TODO",
            ),
        ],
        "32:13: warning: evidence 'cache-strategy-rfc' (item 2): the impact is still placeholder text [placeholder]",
    ),
    (
        "target not above current",
        P,
        [("target_level: ic3", "target_level: ic2")],
        "9:15: error: target level Engineer II (ic2) is not above the current level Engineer II (ic2): a packet asks for a higher level on the same track (Engineer I → Engineer II → Senior Engineer → Staff Engineer → Principal Engineer) [target-not-above]",
    ),
    (
        "yes for true",
        A,
        [("invisible_work: true\n  - id: oncall-handbook", "invisible_work: yes\n  - id: oncall-handbook")],
        "24:21: error: 'yes' is ambiguous: YAML 1.1 reads it as a boolean, YAML 1.2 as text; write true/false, or quote it (\"yes\") if you mean text [ambiguous-scalar]",
    ),
    (
        "invalid evidence id",
        P,
        [("id: cache-strategy-rfc", "id: Cache_Strategy")],
        "25:9: error: evidence 'Cache_Strategy' (item 2): 'Cache_Strategy' is not a valid id: use lowercase letters, digits and single hyphens, e.g. 'rel-ic4-oncall' [schema-pattern]",
    ),
    (
        "composite dimension misspelled",
        "rubrics/composite.yaml",
        [("  - dimension: reliability\n    weight: 0.35", "  - dimension: relability\n    weight: 0.35")],
        "9:16: error: unknown dimension 'relability' (did you mean 'reliability'?); valid: collaboration, delivery, reliability [unknown-dimension]",
    ),
    (
        "signal metric misspelled",
        "rubrics/dimensions/delivery.yaml",
        [("signals: [deployment-frequency,", "signals: [deploy-frequency,")],
        "13:11: error: signal names unknown metric 'deploy-frequency' (did you mean 'deployment-frequency'?); valid: change-failure-rate, change-lead-time, deployment-frequency, deployment-rework-rate, error-budget-burn, failed-deployment-recovery-time, slo-attainment, story-point-velocity [unknown-metric]",
    ),
    (
        "months as a word",
        "levels/ic2.yaml",
        [("min_months: 18", "min_months: two")],
        "9:15: error: expected a whole number, found the text 'two' [schema-type]",
    ),
]


@pytest.mark.parametrize("name,file,edits,expected", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_one_mistake_one_message(repo: Path, name: str, file: str, edits: list[tuple[str, str]], expected: str) -> None:
    if file == NEW:
        (repo / NEW).parent.mkdir(parents=True, exist_ok=True)
        (repo / NEW).write_text(NEW_PACKET, "utf-8")
    for old, new in edits:
        text = (repo / file).read_text("utf-8")
        assert old in text, old
        (repo / file).write_text(text.replace(old, new, 1), "utf-8")
    report = validate_repository(repo, [repo / file], today=date.fromisoformat(FIXED_TODAY))
    lines = [f"{d.line}:{d.column}: {d.severity}: {d.message} [{d.code}]" for d in report.diagnostics if d.file == file]
    assert lines == [expected]


def test_the_table_is_big_enough() -> None:
    assert len(MISTAKES) >= 30
