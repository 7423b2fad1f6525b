"""The suite's own plumbing: a module marked with an xdist group runs on one worker, so the site
its module-scoped fixture builds is built once (pytest 9.2 with pytest-xdist 3.8 silently broke
this: every grouped module's sites were built on both workers)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.xdist_group("suite-groups")


def test_a_grouped_module_is_one_unit_of_work(request: pytest.FixtureRequest) -> None:
    if "PYTEST_XDIST_WORKER" not in os.environ:
        pytest.skip("groups exist only when pytest-xdist distributes the tests (make test does)")
    assert request.config.getvalue("loadgroup"), "make test runs pytest with --dist loadgroup"
    assert request.node.nodeid.endswith("@suite-groups"), (
        f"pytest-xdist did not put this test in its group ({request.node.nodeid}): "
        "check the pytest/pytest-xdist pins in constraints.txt"
    )
