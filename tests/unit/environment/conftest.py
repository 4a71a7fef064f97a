"""Fixtures shared by the environment tests."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="package")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv without pip (0.2 s), with a .pth file and a sitecustomize that would write files."""
    root = tmp_path_factory.mktemp("probe") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    [site_packages] = root.glob("lib/python*/site-packages")
    marker = root.parent / "pth-ran"
    (site_packages / "evil.pth").write_text(
        f"import pathlib; pathlib.Path({str(marker)!r}).write_text('ran')\n", encoding="utf-8"
    )
    (site_packages / "sitecustomize.py").write_text(
        f"import pathlib; pathlib.Path({str(root.parent / 'sitecustomize-ran')!r})"
        ".write_text('ran')\n",
        encoding="utf-8",
    )
    return root
