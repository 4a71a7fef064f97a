"""Origins (PEP 610) and credential stripping."""

from __future__ import annotations

import pytest

from envsnap._text import redact_urls, strip_credentials
from envsnap.lock import Origin


@pytest.mark.parametrize(
    ("url", "clean", "stripped"),
    [
        ("https://example.invalid/p.whl", "https://example.invalid/p.whl", False),
        ("https://user:pass@example.invalid/p.whl", "https://example.invalid/p.whl", True),
        (
            "https://token@example.invalid:8443/x?y=1#z",
            "https://example.invalid:8443/x?y=1#z",
            True,
        ),
        ("https://a%40b:p%3Aw@example.invalid/", "https://example.invalid/", True),
        ("ssh://git@example.invalid/o/r.git", "ssh://git@example.invalid/o/r.git", False),
        ("https://${TOKEN}@example.invalid/p", "https://${TOKEN}@example.invalid/p", False),
        ("file:///home/me/p.whl", "file:///home/me/p.whl", False),
    ],
)
def test_strip_credentials(url: str, clean: str, stripped: bool) -> None:
    assert strip_credentials(url) == (clean, stripped)


def test_redact_urls_in_free_text() -> None:
    text = "x @ https://u:pw@h.invalid/a and git+ssh://git@h.invalid/r and 'https://${T}@h/p'"
    assert (
        redact_urls(text)
        == "x @ https://h.invalid/a and git+ssh://git@h.invalid/r and 'https://${T}@h/p'"
    )
    assert redact_urls("no url here: a@b") == "no url here: a@b"


@pytest.mark.parametrize(
    ("origin", "text", "direct"),
    [
        (Origin(), "index", False),
        (
            Origin(kind="vcs", url="https://h/r.git", vcs="git", commit="abc"),
            "git+https://h/r.git@abc",
            True,
        ),
        (Origin(kind="directory", url="file:///src", editable=True), "editable file:///src", True),
        (Origin(kind="directory", url="file:///src"), "file:///src", True),
        (
            Origin(kind="archive", url="file:///a.whl", archive_hash="sha256=00"),
            "file:///a.whl (sha256=00)",
            True,
        ),
        (Origin(kind="archive", url="file:///a.whl"), "file:///a.whl", True),
    ],
)
def test_describe_and_is_direct(origin: Origin, text: str, direct: bool) -> None:
    assert origin.describe() == text
    assert origin.is_direct is direct
