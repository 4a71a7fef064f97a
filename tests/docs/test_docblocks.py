"""How the docs test reads markdown and compares what a block shows (``support.docblocks``)."""

from __future__ import annotations

import re

import pytest

from support.docblocks import Block, commands, matches, mismatch, parse

MARKDOWN = """\
# Title

```console
$ envsnap check
OK

$ envsnap tree
a==1
```

1. A list item:

   <!-- example: scenario=web file="pylock.toml" -->
   ```toml
   lock-version = "1.0"
       indented = true
   ```

<!-- example: not run: a workflow file -->

```yaml
on: push
```

```
plain
```
"""


def test_blocks_are_found_with_their_language_line_and_options() -> None:
    blocks = parse("docs/x.md", MARKDOWN)
    assert [(b.line, b.lang, b.not_run, b.options) for b in blocks] == [
        (3, "console", None, {}),
        (14, "toml", None, {"scenario": "web", "file": "pylock.toml"}),
        (21, "yaml", "a workflow file", {}),  # blank lines may come between
        (25, "", None, {}),
    ]
    assert blocks[1].text == 'lock-version = "1.0"\n    indented = true\n'
    assert blocks[1].id == "docs/x.md:14"
    assert blocks[3].first_line == "plain"


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("<!-- example: not run: -->", "docs/x.md:2: 'not run:' needs a reason"),
        ("<!-- example: scenery=web -->", "docs/x.md:2: unknown example option 'scenery=web'"),
        ("<!-- example: web -->", "docs/x.md:2: unknown example option 'web'"),
    ],
)
def test_a_bad_example_comment_is_an_error(comment: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        parse("docs/x.md", f"{comment}\n```sh\ntrue\n```\n")


def test_an_unclosed_fence_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^docs/x\.md:2: the fence is never closed$"):
        parse("docs/x.md", "text\n```sh\ntrue\n")


def test_a_console_block_splits_into_commands_and_what_each_shows() -> None:
    (block, *_) = parse("docs/x.md", MARKDOWN)
    steps = commands(block)
    assert [(s.line, s.shown) for s in steps] == [("envsnap check", "OK"), ("envsnap tree", "a==1")]


def test_output_before_the_first_command_is_an_error() -> None:
    block = Block(path="docs/x.md", line=3, lang="console", text="top-level: 2\n$ envsnap\n")
    with pytest.raises(ValueError, match=r"^docs/x\.md:3: output before the first"):
        commands(block)


@pytest.mark.parametrize(
    ("shown", "real", "expected"),
    [
        ("a\nb\n", "a\nb\n", True),
        ("a\nb", "a  \nb\n\n", True),  # trailing spaces and blank lines
        ("a\nb\n", "a\nc\n", False),
        ("a\n...\nd\n", "a\nb\nc\nd\n", True),  # a line of "..." stands for lines
        ("a\n...\nd\n", "a\nd\n", True),  # ... or for none
        ("a\n...\n", "a\nb\nc\n", True),
        ("a\n...\nd\n", "a\nb\nc\n", False),
        ("sha256 = 1f3c...\n", "sha256 = 1f3c9ab0\n", True),  # "..." in a line: any text
        ("sha256 = 1f3c...\n", "sha256 = 9b2e1f3c\n", False),
        ("x...\n", "x\ny\n", False),  # in a line it never spans lines
        ("", "", True),
        ("", "output\n", False),
        ("a.b\n", "aXb\n", False),  # everything else is literal
    ],
)
def test_matches(shown: str, real: str, expected: bool) -> None:
    assert matches(shown, real) is expected


def test_a_mismatch_is_a_unified_diff() -> None:
    assert mismatch("a\nb\n", "a\nc\n", what="$ envsnap x") == (
        "--- $ envsnap x (shown)\n+++ real\n@@ -1,2 +1,2 @@\n a\n-b\n+c"
    )
