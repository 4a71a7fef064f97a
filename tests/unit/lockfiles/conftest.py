"""Fixtures of the lock file tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envsnap.errors import EnvsnapError, LockFileError
from envsnap.lockfiles.requirements.read import load

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.fixture
def refusal(tmp_path: Path) -> Callable[..., EnvsnapError]:
    """Write ``tmp_path/requirements.txt`` with a text; return the reader's refusal of it.

    The refusal is a :class:`LockFileError` unless another error class is given.
    """

    def refuse(text: str, error: type[EnvsnapError] = LockFileError) -> EnvsnapError:
        (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
        with pytest.raises(error) as info:
            load(tmp_path / "requirements.txt")
        return info.value

    return refuse
