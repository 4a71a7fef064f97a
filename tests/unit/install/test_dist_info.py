"""What a restore writes into .dist-info: REQUESTED marks, archive hashes, RECORD rows."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.environment.snapshot import take_snapshot
from envsnap.install.dist_info import record_archive_hashes, set_requested
from envsnap.lock import Lock, LockedPackage, Origin

if TYPE_CHECKING:
    from support.fake_site import FakeSite


def test_set_requested_matches_the_top_level_list(site: FakeSite) -> None:
    site("alpha", "1.0", requested=True)
    site("beta", "1.0", requested=True)
    site("Mixed.Case_Name", "0.5")
    site("pip", "24.2", requested=True)
    beta_record = site.root / "beta-1.0.dist-info" / "RECORD"
    beta_record.write_text(
        "beta-1.0.dist-info/METADATA,,\nbeta-1.0.dist-info/REQUESTED,,\n", encoding="utf-8"
    )
    assert set_requested([site.root], ["ALPHA", "mixed-case-name"]) == (1, 1)
    marked = sorted(p.parent.name for p in site.root.glob("*.dist-info/REQUESTED"))
    assert marked == ["Mixed_Case_Name-0.5.dist-info", "alpha-1.0.dist-info", "pip-24.2.dist-info"]
    assert beta_record.read_text(encoding="utf-8") == "beta-1.0.dist-info/METADATA,,\n"
    for name in ("alpha-1.0", "Mixed_Case_Name-0.5"):
        assert (site.root / f"{name}.dist-info" / "REQUESTED").read_bytes() == b"envsnap\n"
    assert (site.root / "pip-24.2.dist-info" / "REQUESTED").read_bytes() == b""  # left alone
    assert set_requested([site.root], ["alpha", "mixed-case-name"]) == (0, 0)


def test_a_marked_requested_counts_after_uv_wrote_it_into_every_package(site: FakeSite) -> None:
    """uv writes REQUESTED into every distribution: alone it says nothing; envsnap's mark does."""
    site("app", "1.0", "lib", requested=True, installer="uv")
    site("lib", "1.0", requested=True, installer="uv")
    site("tool", "1.0", "lib", requested=True, installer="uv")
    before = take_snapshot(environment=site.environment())
    assert before.reasons["tool"].kind == "root"  # no signal: a root, not requested
    set_requested([site.root], ["tool", "lib"])
    after = take_snapshot(environment=site.environment())
    assert after.reasons["tool"].kind == "requested"
    assert after.reasons["lib"].kind == "requested"
    assert after.reasons["app"].kind == "root"
    assert "REQUESTED: yes: a restore marked it top-level" in after.explain("lib")


def test_requested_gets_a_record_row_with_its_hash(site: FakeSite) -> None:
    """uv records REQUESTED with a hash: the rewritten file keeps a RECORD row that matches."""
    info = site("alpha", "1.0", requested=True, installer="uv")
    (info / "RECORD").write_text(
        "alpha-1.0.dist-info/METADATA,,\n"
        "alpha-1.0.dist-info/REQUESTED,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n",
        encoding="utf-8",
    )
    set_requested([site.root], ["alpha"])
    assert (info / "RECORD").read_text(encoding="utf-8") == (
        "alpha-1.0.dist-info/METADATA,,\n"
        "alpha-1.0.dist-info/REQUESTED,"
        "sha256=frFo0sCisqwGbcyFtbz6ugZ509Y3vHvxcQKSorX0G0Y,8\n"  # sha256 of b"envsnap\\n"
    )


def test_only_the_requested_row_of_record_changes(site: FakeSite) -> None:
    """Every other line stays byte for byte: CRLF endings, quoting, a last line without newline."""
    info = site("alpha", "1.0", requested=True, installer="uv")
    (info / "RECORD").write_bytes(
        b'"alpha/a,b.py",sha256=x,1\r\n'
        b'"alpha-1.0.dist-info/REQUESTED",,\r\n'
        b"alpha-1.0.dist-info/REQUESTED.bak,,\r\n"
        b"alpha-1.0.dist-info/RECORD,,"
    )
    set_requested([site.root], ["alpha"])
    assert (info / "RECORD").read_bytes() == (
        b'"alpha/a,b.py",sha256=x,1\r\n'
        b"alpha-1.0.dist-info/REQUESTED.bak,,\r\n"
        b"alpha-1.0.dist-info/RECORD,,\n"
        b"alpha-1.0.dist-info/REQUESTED,sha256=frFo0sCisqwGbcyFtbz6ugZ509Y3vHvxcQKSorX0G0Y,8\n"
    )


def test_an_archive_gets_the_hash_the_lock_and_the_installer_checked(site: FakeSite) -> None:
    url = "http://127.0.0.1:9/files/urlpkg-1.0.tar.gz"
    info = site("urlpkg", "1.0", direct_url={"url": url, "archive_info": {}})
    kept = site("other", "1.0", direct_url={"url": url, "archive_info": {"hash": "sha256=cc"}})
    (info / "RECORD").write_text("urlpkg-1.0.dist-info/direct_url.json,sha256=x,2\n", "utf-8")
    lock = Lock(
        path=None,
        format="requirements",
        packages=(
            LockedPackage(
                name=canonicalize_name("other"),
                display_name="other",
                version=None,
                origin=Origin(kind="archive", url=url, archive_hash="sha256=dd"),
            ),
            LockedPackage(
                name=canonicalize_name("urlpkg"),
                display_name="urlpkg",
                version=Version("1.0"),
                origin=Origin(kind="archive", url=url),
                hashes=(f"sha256:{'ab' * 32}",),
            ),
        ),
    )
    assert record_archive_hashes([site.root], lock) == ["urlpkg"]
    data = (info / "direct_url.json").read_bytes()
    assert json.loads(data) == {
        "url": url,
        "archive_info": {"hashes": {"sha256": "ab" * 32}, "hash": f"sha256={'ab' * 32}"},
    }
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert (info / "RECORD").read_text(encoding="utf-8") == (
        f"urlpkg-1.0.dist-info/direct_url.json,sha256={digest},{len(data)}\n"
    )
    assert json.loads((kept / "direct_url.json").read_text("utf-8"))["archive_info"] == {
        "hash": "sha256=cc"
    }  # a recorded hash is the installer's word: kept
    snapshot = take_snapshot(environment=site.environment())
    assert snapshot.get("urlpkg").origin.archive_hash == f"sha256={'ab' * 32}"  # type: ignore[union-attr]
