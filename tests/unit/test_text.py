"""envsnap._text: control characters escaped where printed, workflow commands defused."""

from __future__ import annotations

import json
import urllib.parse

import pytest
import tomlkit

from envsnap._text import counted, excerpt, file_url_path, printable, terminal_text


def test_printable_escapes_every_control_character() -> None:
    value = "a\nb\rc\td\x00e\x1bf\x7fg\x85h\x9bi\u2028j\u2029k"
    assert printable(value) == (
        "a\\nb\\rc\\td\\u0000e\\u001bf\\u007fg\\u0085h\\u009bi\\u2028j\\u2029k"
    )
    assert printable(printable(value)) == printable(value)  # escaping twice changes nothing
    assert printable("plain ünïcode, 中文") == "plain ünïcode, 中文"
    assert printable("a\nb\x1b", lines=True) == "a\nb\\u001b"


@pytest.mark.parametrize("raw", ["\x85", "\u2028", "\x7f", "\x9b[2J"])
def test_printable_keeps_json_and_toml_the_same_data(raw: str) -> None:
    """JSON and TOML leave DEL, C1 and U+2028 raw: escaped, they read back the same."""
    text = json.dumps({"k": f"x{raw}y"}, ensure_ascii=False)
    assert json.loads(printable(text, lines=True)) == {"k": f"x{raw}y"}
    toml = tomlkit.dumps({"k": f"x{raw}y"})
    assert tomlkit.loads(printable(toml, lines=True))["k"] == f"x{raw}y"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("::error title=x::y", "\\::error title=x::y"),
        ("warning: a\n  ::add-mask::s", "warning: a\n  \\::add-mask::s"),
        ("\u00a0\u3000::set-output name=x::y", "\u00a0\u3000\\::set-output name=x::y"),
        ("note: see ##[error]boom", "note: see ##[\\error]boom"),
        ("note: a::b is fine", "note: a::b is fine"),
    ],
    ids=["line", "continuation", "unicode-blanks", "legacy", "inside"],
)
def test_terminal_text_defuses_workflow_commands(text: str, shown: str) -> None:
    """The runner trims leading white space (Unicode's too) and finds ``##[`` anywhere."""
    assert terminal_text(text) == shown


def test_terminal_text_keeps_envsnaps_own_commands_and_colours() -> None:
    report = "::error file=r.txt,line=1,title=envsnap%3A missing::a\nOK\n"
    assert terminal_text(report, commands=True) == report
    painted = "\x1b[1m\x1b[31mmissing (1):\x1b[0m\n  a \x1b]0;t\x07\n"
    assert terminal_text(painted, colour=True) == (
        "\x1b[1m\x1b[31mmissing (1):\x1b[0m\n  a \\u001b]0;t\\u0007\n"
    )
    assert "\x1b" not in terminal_text(painted)


def test_excerpt_quotes_a_short_escaped_prefix() -> None:
    assert excerpt("Name:\tenvsnap") == "'Name:\\tenvsnap'"
    long = "PATH=/usr/bin\x00HOME=/root\x00" + "SECRET=x" * 1000
    assert excerpt(long) == (
        "'PATH=/usr/bin\\x00HOME=/root\\x00SECRET=xSECRET=xSECRET=xSECRET=xSEC'... "
        "(8025 characters)"
    )


@pytest.mark.parametrize(
    ("count", "noun", "plural", "expected"),
    [
        (0, "file", None, "0 files"),
        (1, "package", None, "1 package"),
        (2, "package", None, "2 packages"),
        (1, "entry", "entries", "1 entry"),
        (3, "entry", "entries", "3 entries"),
    ],
)
def test_counted_puts_the_noun_in_number(
    count: int, noun: str, plural: str | None, expected: str
) -> None:
    assert counted(count, noun, plural) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///tmp/x%20y.whl", "/tmp/x y.whl"),
        ("file://localhost/opt/pypi/simple", "/opt/pypi/simple"),
        ("file:/srv/wheels", "/srv/wheels"),
        ("https://127.0.0.1/x.whl", None),
    ],
)
def test_file_url_path_reads_a_file_url_as_urllib_does(url: str, expected: str | None) -> None:
    from urllib.request import url2pathname  # noqa: PLC0415

    found = file_url_path(url)
    assert (None if found is None else str(found)) == expected
    if found is not None:
        assert str(found) == url2pathname(urllib.parse.urlsplit(url).path)
