"""PEP 710 provenance: written at restore (install/dist_info), read back (environment), used first
by freeze's hash source (index/repository)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.environment.distributions import read_distributions, read_provenance
from envsnap.index.distfile import DistFile, ProjectFiles
from envsnap.index.repository import ProvenanceSource, StaticSource
from envsnap.install.dist_info import record_provenance
from support.fake_site import FakeSite

if TYPE_CHECKING:
    from pathlib import Path

SHA = "ab" * 32
WHEEL = "alpha-1.0-py3-none-any.whl"
INDEX = "https://mirror.example/simple"
URL = f"https://files.example/a/b/{WHEEL}"


def installed(url: str = URL, filename: str = WHEEL, version: str = "1.0", **hashes: str):
    file = DistFile(
        filename=filename,
        hashes={"sha256": SHA, **hashes},
        name=canonicalize_name("alpha"),
        version=Version(version),
        url=url,
    )
    return {canonicalize_name("alpha"): (file, INDEX)}


def add_alpha(site: FakeSite, tag: str = "py3-none-any", **kwargs: object) -> Path:
    info = site("alpha", "1.0", **kwargs)  # type: ignore[arg-type]
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nTag: {tag}\n", encoding="utf-8")
    (info / "RECORD").write_text("alpha-1.0.dist-info/METADATA,,\n", encoding="utf-8")
    return info


def test_record_provenance_writes_pep_710_and_its_record_row(site: FakeSite) -> None:
    info = add_alpha(site)
    assert record_provenance([site.root], installed(md5="00", sha512="CD" * 64)) == ["alpha"]
    data = (info / "provenance_url.json").read_bytes()
    assert json.loads(data) == {
        "archive_info": {"hashes": {"sha256": SHA, "sha512": "cd" * 64}},  # never md5
        "index_url": INDEX,
        "url": URL,
    }
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert (info / "RECORD").read_text(encoding="utf-8").splitlines() == [
        "alpha-1.0.dist-info/METADATA,,",
        f"alpha-1.0.dist-info/provenance_url.json,sha256={digest},{len(data)}",
    ]


def test_record_provenance_strips_credentials(site: FakeSite) -> None:
    info = add_alpha(site)
    record_provenance([site.root], installed(url=f"https://user:s3cret@files.example/{WHEEL}"))
    assert json.loads((info / "provenance_url.json").read_text())["url"] == (
        f"https://files.example/{WHEEL}"
    )


def test_no_provenance_beside_a_direct_url_nor_for_another_wheel_or_version(
    site: FakeSite,
) -> None:
    direct = {"url": "https://x/alpha.whl", "archive_info": {}}
    add_alpha(site, direct_url=direct)
    assert record_provenance([site.root], installed()) == []  # PEP 710: not both files
    other = site.root.parent / "other"
    second = FakeSite(other)
    add_alpha(second, tag="cp311-cp311-linux_x86_64")
    assert record_provenance([other], installed()) == []  # uv installed another wheel
    assert record_provenance([other], installed(version="2.0")) == []
    assert not list(other.glob("*/provenance_url.json"))


def test_an_sdist_is_recorded_whatever_wheel_was_built(site: FakeSite) -> None:
    info = add_alpha(site, tag="cp311-cp311-linux_x86_64")
    found = record_provenance(
        [site.root], installed(url="https://f/alpha-1.0.tar.gz", filename="alpha-1.0.tar.gz")
    )
    assert found == ["alpha"]
    assert json.loads((info / "provenance_url.json").read_text())["url"] == (
        "https://f/alpha-1.0.tar.gz"
    )


def read_back(site: FakeSite, record: object) -> ProjectFiles | None:
    info = add_alpha(site) if not (site.root / "alpha-1.0.dist-info").exists() else None
    target = info or site.root / "alpha-1.0.dist-info"
    text = record if isinstance(record, str) else json.dumps(record)
    (target / "provenance_url.json").write_text(text, encoding="utf-8")
    (dist,), _ = read_distributions([site.root])
    return read_provenance(dist)


def test_read_provenance_gives_the_recorded_file(site: FakeSite) -> None:
    found = read_back(
        site, {"url": URL, "index_url": INDEX, "archive_info": {"hashes": {"sha256": SHA}}}
    )
    assert found == ProjectFiles(
        name=canonicalize_name("alpha"),
        version=Version("1.0"),
        files=(DistFile(filename=WHEEL, hashes={"sha256": SHA}, url=URL),),
        index=INDEX,
    )


@pytest.mark.parametrize(
    "record",
    [
        "not json",
        ["a list"],
        {"url": URL, "archive_info": {"hashes": {"sha256": SHA}}},  # no index_url
        {"url": URL, "index_url": INDEX, "archive_info": {"hashes": {"sha512": "00"}}},
        {"url": URL + "\n", "index_url": INDEX, "archive_info": {"hashes": {"sha256": SHA}}},
        {
            "url": "https://f/beta-1.0-py3-none-any.whl",
            "index_url": INDEX,
            "archive_info": {"hashes": {"sha256": SHA}},
        },
        {
            "url": "https://f/alpha-2.0-py3-none-any.whl",
            "index_url": INDEX,
            "archive_info": {"hashes": {"sha256": SHA}},
        },
    ],
)
def test_a_bad_record_is_no_record(site: FakeSite, record: object) -> None:
    assert read_back(site, record) is None


def test_no_record_file_is_no_record(site: FakeSite) -> None:
    add_alpha(site)
    (dist,), _ = read_distributions([site.root])
    assert read_provenance(dist) is None


def project(filename: str = WHEEL, sha: str = SHA, version: str = "1.0") -> ProjectFiles:
    return ProjectFiles(
        name=canonicalize_name("alpha"),
        version=Version(version),
        files=(DistFile(filename=filename, hashes={"sha256": sha}, url=f"https://f/{filename}"),),
        index=INDEX,
    )


def test_the_record_answers_first_with_no_request() -> None:
    asked: list[str] = []

    class Fallback:
        def describe(self) -> str:
            return "the index"

        def lookup(self, name, version):
            asked.append(f"{name}=={version}")

    source = ProvenanceSource({canonicalize_name("alpha"): project()}, Fallback())
    assert source.lookup(canonicalize_name("alpha"), Version("1.0")) == project()
    assert source.lookup(canonicalize_name("beta"), Version("1.0")) is None
    assert source.lookup(canonicalize_name("alpha"), Version("2.0")) is None  # another version
    assert asked == ["beta==1.0", "alpha==2.0"]
    assert source.describe() == ("the files recorded at install (provenance_url.json) or the index")


@pytest.mark.parametrize(
    ("index_files", "problem"),
    [
        (None, f"{WHEEL} (from {INDEX}): the index no longer has this version"),
        (project(filename="alpha-1.0.tar.gz"), f"{WHEEL} (from {INDEX}) is no longer on the index"),
        (
            project(sha="cd" * 32),
            f"{WHEEL}: the index gives sha256 {'cd' * 32}, the file installed had {SHA}",
        ),
        (project(), None),
    ],
)
def test_ask_index_compares_the_index_with_the_record(
    index_files: ProjectFiles | None, problem: str | None
) -> None:
    fallback = StaticSource({canonicalize_name("alpha"): index_files} if index_files else {})
    source = ProvenanceSource({canonicalize_name("alpha"): project()}, fallback, ask_index=True)
    found = source.lookup(canonicalize_name("alpha"), Version("1.0"))
    assert found == (index_files or project())  # the index's answer, else the record
    assert source.disagreements == ([f"alpha==1.0: {problem}"] if problem else [])
