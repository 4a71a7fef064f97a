"""Report renderers: text, JSON (schema envsnap.report/1) and GitHub annotations."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from envsnap.compare.changes import KINDS, Change, Report
from envsnap.render import REPORT_FORMATS, ReportFormat, Style, render_report
from envsnap.render import report_github as github
from envsnap.render import report_json as json_report
from envsnap.render import report_text as text
from envsnap.render.report import HEADINGS, message, summary

GOLDEN = Path(__file__).parents[2] / "golden"
LOCK = "/repo/requirements.txt"

ALL_KINDS = Report(
    a_label=LOCK,
    b_label="env /repo/.venv",
    checked=7,
    notes=("uvloop: marker cannot be evaluated; checked",),
    changes=(
        Change(kind="missing", name="idna", expected="idna==3.10", line=3, path=LOCK),
        Change(kind="extra", name="rich", found="rich==13.9.4", path=LOCK),
        Change(
            kind="changed", name="requests", expected="2.32.3", found="2.31.0", line=2, path=LOCK
        ),
        Change(
            kind="source-changed",
            name="mylib",
            expected="index",
            found="editable file:///src/mylib",
            detail="from an index in one, editable directory in the other",
            line=5,
            path=LOCK,
        ),
        Change(
            kind="extras-changed",
            name="httpx",
            expected="httpx[http2]",
            found="httpx",
            line=8,
            path=LOCK,
            informational=True,
        ),
        Change(
            kind="broken",
            name="requests",
            expected="urllib3>=2",
            found="urllib3==1.26.20",
            detail="requests requires urllib3>=2; 1.26.20 is installed",
            line=2,
            path=LOCK,
        ),
        Change(
            kind="missing-declared",
            name="httpx",
            expected="httpx>=0.27",
            detail="declared in [dependencies]",
            line=7,
            path="/repo/pyproject.toml",
        ),
        Change(
            kind="outside-specifier",
            name="click",
            expected="click>=8.2",
            found="8.1.0",
            detail="declared in [dependencies]",
            line=4,
            path=LOCK,
        ),
        Change(
            kind="stale",
            name="old",
            found="old==1.0",
            detail="no longer declared in pyproject.toml (the lock records it as declared)",
            line=6,
            path=LOCK,
        ),
        Change(
            kind="file-modified",
            name="rich",
            expected="sha256=AAA",
            found="sha256=BBB",
            detail="rich/console.py",
            path="/repo/.venv/lib/python3.11/site-packages/rich/console.py",
        ),
        Change(
            kind="file-missing",
            name="rich",
            expected="sha256=CCC",
            detail="../../../bin/rich",
            path="/repo/.venv/bin/rich",
        ),
        Change(
            kind="reclassified",
            name="urllib3",
            expected="transitive (via requests)",
            found="top-level (requested)",
            line=9,
            path=LOCK,
        ),
    ),
)

CLEAN = Report(changes=(), a_label="requirements.txt", b_label="env /repo/.venv", checked=12)


def golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ENVSNAP_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def test_every_kind_has_a_heading_and_a_message() -> None:
    assert set(HEADINGS) == set(KINDS)
    assert [c.kind for c in ALL_KINDS.changes] == list(KINDS)
    assert all(message(c, ALL_KINDS) for c in ALL_KINDS.changes)


def test_text_golden() -> None:
    golden("report.txt", text.render(ALL_KINDS))


def test_json_golden_and_schema() -> None:
    rendered = json_report.render(ALL_KINDS)
    golden("report.json", rendered)
    data = json.loads(rendered)
    assert data["schema"] == "envsnap.report/1"
    assert data["drift"] is True
    assert len(data["changes"]) == len(KINDS)
    assert set(data["changes"][0]) == {
        "kind",
        "package",
        "expected",
        "found",
        "detail",
        "file",
        "line",
        "drift",
        "message",
    }
    assert data["counts"]["missing"] == 1
    assert data["changes"][-1]["drift"] is False


def test_github_golden() -> None:
    golden("report.github", github.render(ALL_KINDS, root=Path("/repo")))


def test_clean_reports() -> None:
    assert text.render(CLEAN) == ("OK requirements.txt matches env /repo/.venv (12 packages)\n")
    assert github.render(CLEAN) == "OK requirements.txt matches env /repo/.venv (12 packages)\n"
    data = json.loads(json_report.render(CLEAN))
    assert (data["drift"], data["changes"], data["counts"]) == (False, [], {})


def test_informational_items_say_not_drift_everywhere() -> None:
    report = Report(
        changes=(
            Change(kind="extras-changed", name="h", expected="h[x]", found="h", informational=True),
        ),
        a_label="pylock.toml",
        b_label="env /e",
        checked=3,
    )
    assert not report
    assert text.render(report) == (
        "extras changed (not drift) (1):\n"
        "  h: pylock.toml has h[x], env /e has h\n"
        "OK pylock.toml matches env /e (3 packages; 1 extras-changed (not drift))\n"
    )
    assert github.render(report).splitlines()[0] == (
        "::notice title=envsnap%3A extras changed (not drift)::"
        "h: pylock.toml has h[x], env /e has h"
    )
    assert json.loads(json_report.render(report))["changes"][0]["drift"] is False
    drifting = Report(
        changes=(Change(kind="extras-changed", name="h", expected="h[x]", found="h"),),
        a_label="top.txt",
        b_label="new.txt",
    )
    assert text.render(drifting).splitlines()[0] == "extras changed (1):"


def test_reclassified_only_is_clean() -> None:
    report = Report(
        changes=(Change(kind="reclassified", name="x", expected="transitive", found="top-level"),),
        a_label="a.txt",
        b_label="b.txt",
        checked=1,
    )
    assert summary(report) == "OK a.txt matches b.txt (1 package; 1 reclassified (not drift))"
    assert github.render(report).startswith(
        "::notice title=envsnap%3A reclassified (not drift)::x: transitive in a.txt"
    )


def test_text_color() -> None:
    coloured = text.render(ALL_KINDS, color=True)
    assert "\033[1m\033[31mmissing (1):\033[0m" in coloured
    assert coloured.endswith("\033[0m\n")
    assert text.render(CLEAN, color=True) == (
        "\033[32mOK requirements.txt matches env /repo/.venv (12 packages)\033[0m\n"
    )


def test_github_escapes_and_relative_paths() -> None:
    report = Report(
        changes=(
            Change(kind="missing", name="a", expected="a==1\n%", line=1, path="/elsewhere/r,1.txt"),
            Change(kind="missing", name="b", expected="b==1", line=2, path="reqs/r.txt"),
        ),
        a_label="r",
        b_label="env",
    )
    lines = github.render(report, root=Path("/repo")).splitlines()
    assert lines[0] == (
        "::error file=/elsewhere/r%2C1.txt,line=1,title=envsnap%3A missing::"
        "a==1%0A%25 is in r but not in env"
    )
    assert (
        lines[1]
        == "::error file=reqs/r.txt,line=2,title=envsnap%3A missing::b==1 is in r but not in env"
    )


@pytest.mark.parametrize("name", REPORT_FORMATS)
def test_registry(name: ReportFormat) -> None:
    assert render_report(CLEAN, name).endswith("\n")


def test_the_registry_passes_the_style_to_each_renderer() -> None:
    style = Style(color=True, root=Path("/repo"))
    assert REPORT_FORMATS == ("text", "json", "github")
    assert render_report(ALL_KINDS, "text", style) == text.render(ALL_KINDS, color=True)
    assert render_report(ALL_KINDS, "text") == text.render(ALL_KINDS)
    assert render_report(ALL_KINDS, "json", style) == json_report.render(ALL_KINDS)
    assert render_report(ALL_KINDS, "github", style) == github.render(ALL_KINDS, root=Path("/repo"))
