"""envsnap.cli.output: every message and output the CLI prints is made safe once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envsnap.cli.output import say, show

if TYPE_CHECKING:
    import pytest


def test_say_keeps_envsnaps_indented_lines_and_escapes_other_breaks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    say("error: uv pip install (exit 1)\n  | line one\n  | \x1b[31mline two")
    say("warning: /site/x\n::error title=pwned::forged.dist-info: no METADATA file: skipped")
    say("plan line", err=False)
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "error: uv pip install (exit 1)",
        "  | line one",
        "  | \\u001b[31mline two",
        "warning: /site/x\\n::error title=pwned::forged.dist-info: no METADATA file: skipped",
    ]
    assert captured.out == "plan line\n"


def test_say_defuses_an_indented_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    say("error: failed\n  ::add-mask::secret")
    assert capsys.readouterr().err == "error: failed\n  \\::add-mask::secret\n"


def test_show_prints_the_text_as_it_is_made_safe(capsys: pytest.CaptureFixture[str]) -> None:
    show("::error title=envsnap%3A missing::a\nOK a\n", commands=True)
    show("solo==1.0\n::warning::x \u009b2J\n")
    assert capsys.readouterr().out == (
        "::error title=envsnap%3A missing::a\nOK a\nsolo==1.0\n\\::warning::x \\u009b2J\n"
    )
