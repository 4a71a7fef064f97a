"""RECORD verification (PEP 376/627): modified, missing, unhashed, ``..`` paths."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from envsnap.compare.changes import Change
from envsnap.compare.record import read_record, verify_distribution, verify_files
from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.errors import OperationError

if TYPE_CHECKING:
    from support.fake_site import FakeSite


def digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def install(
    site: FakeSite, name: str, files: dict[str, bytes], unhashed: tuple[str, ...] = ()
) -> Path:
    """Write a dist-info plus ``files`` (paths relative to the site dir) and a true RECORD."""
    info = site(name, "1.0")
    rows = []
    for rel, data in files.items():
        target = Path(site.root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        rows.append(f"{rel},{digest(data)},{len(data)}")
    rows += [f"{rel},," for rel in unhashed]
    rows.append(f"{info.name}/RECORD,,")
    (info / "RECORD").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return info


def snap(site: FakeSite) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings)


def test_clean_install_verifies(site: FakeSite) -> None:
    install(site, "demo", {"demo/__init__.py": b"x = 1\n", "../../../bin/demo": b"#!python\n"})
    assert verify_files(snap(site)) == []
    assert verify_files(snap(site), workers=1) == []


def test_modified_and_missing_files_are_named(site: FakeSite) -> None:
    install(
        site,
        "demo",
        {
            "demo/__init__.py": b"x = 1\n",
            "demo/util.py": b"y = 2\n",
            "../../../bin/demo": b"#!python\n",
        },
        unhashed=("demo/__pycache__/util.cpython-311.pyc",),
    )
    (site.root / "demo" / "__init__.py").write_bytes(b"x = 2\n")
    (site.root / "demo" / "util.py").unlink()
    bin_script = site.root.parents[2] / "bin" / "demo"
    bin_script.write_bytes(b"#!evil\n")
    changes = verify_files(snap(site))
    assert changes == [
        Change(
            kind="file-modified",
            name="demo",
            expected=digest(b"#!python\n"),
            found=digest(b"#!evil\n"),
            detail="../../../bin/demo",
            path=str(bin_script),
        ),
        Change(
            kind="file-modified",
            name="demo",
            expected=digest(b"x = 1\n"),
            found=digest(b"x = 2\n"),
            detail="demo/__init__.py",
            path=str(site.root / "demo" / "__init__.py"),
        ),
        Change(
            kind="file-missing",
            name="demo",
            expected=digest(b"y = 2\n"),
            detail="demo/util.py",
            path=str(site.root / "demo" / "util.py"),
        ),
    ]


def test_many_files_in_parallel_match_serial(site: FakeSite) -> None:
    files = {f"big/m{i:03}.py": f"v = {i}\n".encode() * (i + 1) for i in range(200)}
    install(site, "big", files)
    for i in (5, 150, 199):
        (site.root / "big" / f"m{i:03}.py").write_bytes(b"changed\n")
    parallel = verify_files(snap(site), workers=2)
    assert parallel == verify_files(snap(site), workers=1)
    assert [c.detail for c in parallel] == ["big/m005.py", "big/m150.py", "big/m199.py"]


def test_ignore_and_tools(site: FakeSite) -> None:
    install(site, "pip", {"pip/__init__.py": b"a"})
    install(site, "demo", {"demo/__init__.py": b"a"})
    (site.root / "pip" / "__init__.py").write_bytes(b"b")
    (site.root / "demo" / "__init__.py").write_bytes(b"b")
    assert [c.name for c in verify_files(snap(site))] == ["demo", "pip"]
    assert [c.name for c in verify_files(snap(site), include_tools=False)] == ["demo"]
    assert [c.name for c in verify_files(snap(site), ignore=["DEMO"])] == ["pip"]


def test_read_record_skips_rows_without_hash_or_unknown_algorithm(site: FakeSite) -> None:
    info = site("demo", "1.0")
    (info / "RECORD").write_text(
        "a.py,sha256=abc,3\nb.py,,\nc.py,md99=zzz,1\n\n,sha256=x,1\nd.py,sha512=def,2\n",
        encoding="utf-8",
    )
    entries = read_record(info) or []
    assert [(e.path, e.algorithm, e.digest) for e in entries] == [
        ("a.py", "sha256", "abc"),
        ("d.py", "sha512", "def"),
    ]
    assert entries[0].file == site.root / "a.py"


def test_no_record_and_egg_info(site: FakeSite) -> None:
    info = site("norecord", "1.0")
    (info / "RECORD").unlink()
    site.egg_info("old", "1.0")
    assert read_record(info) is None
    assert verify_files(snap(site)) == []
    egg = next(d for d in snap(site).distributions if d.name == "old")
    assert verify_distribution(egg) == []


def test_verify_distribution_one_package(site: FakeSite) -> None:
    install(site, "demo", {"demo/__init__.py": b"a"})
    (site.root / "demo" / "__init__.py").unlink()
    dist = snap(site).distributions[0]
    assert [c.kind for c in verify_distribution(dist)] == ["file-missing"]


def test_unreadable_file_is_an_operation_error(site: FakeSite, tmp_path: Path) -> None:
    install(site, "demo", {"demo/__init__.py": b"a"})
    target = site.root / "demo" / "__init__.py"
    target.unlink()
    target.mkdir()  # reading a directory fails with EISDIR, not "missing"
    with pytest.raises(OperationError, match="cannot read"):
        verify_files(snap(site))
