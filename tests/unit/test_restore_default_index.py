"""Without --index-url, pip's built-in default index takes what no named source has."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.direct import plan_requirements
from envsnap.environment import probe
from envsnap.errors import OperationError
from envsnap.hashes import IndexSettings
from envsnap.lock import Lock, LockedPackage
from support.wheels import build_wheel


def lock_of(*pins: tuple[str, str]) -> Lock:
    packages = tuple(
        LockedPackage(name=canonicalize_name(n), display_name=n, version=Version(v))
        for n, v in pins
    )
    return Lock(path=None, format="requirements", packages=packages, complete=True)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheels")
    build_wheel(root, "alpha", "1.0")
    return root


def plan(settings: IndexSettings) -> tuple[list[str], tuple[str, ...]]:
    environment = probe(Path(sys.executable))
    result = plan_requirements(
        lock_of(("alpha", "1.0"), ("beta", "2.0")), environment, list(sys_tags()), settings
    )
    return [f.filename for f in result.files], result.pip_lines


def test_what_no_named_source_has_goes_to_pip(wheelhouse: Path) -> None:
    files, pip_lines = plan(IndexSettings(find_links=(str(wheelhouse),)))
    assert files == ["alpha-1.0-py3-none-any.whl"]
    assert pip_lines == ("beta==2.0",)


def test_no_source_at_all_hands_everything_to_pip() -> None:
    files, pip_lines = plan(IndexSettings())
    assert files == []
    assert pip_lines == ("alpha==1.0", "beta==2.0")


def test_no_index_and_an_explicit_index_do_not_fall_back(wheelhouse: Path) -> None:
    with pytest.raises(OperationError, match=r"1 package not found .*: beta==2\.0"):
        plan(IndexSettings(find_links=(str(wheelhouse),), no_index=True))
    empty = wheelhouse.parent / "empty-index"
    empty.mkdir(exist_ok=True)
    with pytest.raises(OperationError, match=r"beta==2\.0"):
        plan(IndexSettings(index_url=empty.as_uri(), find_links=(str(wheelhouse),)))
