"""A script that answers envsnap's interpreter probe as a Python of some version would."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def fake_python(path: Path, version: str) -> Path:
    """Write an executable script at ``path`` whose probe answer is Python ``version``.

    The answer has the shape of the real probe's (``envsnap.environment.target``):
    a system Python at ``path``'s directory, with no site-packages.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    answer = {
        "executable": str(path),
        "prefix": str(path.parent),
        "base_prefix": str(path.parent),
        "version": [int(part) for part in version.split(".")],
        "implementation": "CPython",
        "platform": "linux-x86_64",
        "site_packages": [],
        "base_site_packages": [],
        "markers": {},
    }
    path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{answer!r}\nEOF\n", encoding="utf-8")
    path.chmod(0o755)
    return path
