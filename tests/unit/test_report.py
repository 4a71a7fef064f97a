"""envsnap._report: one reporter per context, silent unless one is set."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

from envsnap import _report
from support.reporter import Recorder

if TYPE_CHECKING:
    import pytest


def say_everything() -> None:
    _report.stage("create", "/v with uv")
    _report.note("note: x")
    _report.output("Resolved 1 package")


def test_the_default_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    say_everything()
    assert not _report.verbose()
    assert capsys.readouterr() == ("", "")


def test_a_reporter_hears_everything_in_its_block_and_nothing_after() -> None:
    with _report.reporting(Recorder(verbose=True)) as outer:
        assert _report.verbose()
        say_everything()
        with _report.reporting(Recorder()) as inner:
            _report.note("inner")
            assert not _report.verbose()
        _report.note("outer again")
    say_everything()
    assert outer.said == [
        ("create", "/v with uv"),
        ("note", "note: x"),
        ("output", "Resolved 1 package"),
        ("note", "outer again"),
    ]
    assert inner.said == [("note", "inner")]


def test_another_context_keeps_its_own_reporter() -> None:
    with _report.reporting(Recorder()) as mine:
        contextvars.Context().run(say_everything)  # a fresh context: the silent default
    assert mine.said == []
