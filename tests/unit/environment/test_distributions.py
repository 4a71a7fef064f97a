"""Reading installed distributions from fake site-packages trees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envsnap.environment.distributions import read_distributions
from envsnap.environment.metadata import _WANTED, MetadataWarning, read_metadata
from envsnap.environment.requirements import extra_of
from envsnap.lock import Origin
from support.fake_site import LINUX_311, FakeSite

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "metadata"


def read(site: FakeSite) -> tuple[dict[str, object], list[str]]:
    dists, warnings = read_distributions([site.root])
    return {d.name: d for d in dists}, [str(w) for w in warnings]


def test_reads_name_version_requires_extras_and_python(site: FakeSite) -> None:
    info = site(
        "Typing_Extensions",
        "4.12.2",
        "foo>=1; python_version < '3.12'",
        'bar[baz]; extra == "Socks.Proxy"',
        extras=["Socks.Proxy"],
        requires_python=">=3.8",
        requested=True,
    )
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    [dist] = dists
    assert dist.name == "typing-extensions"
    assert dist.display_name == "Typing_Extensions"
    assert dist.version == Version("4.12.2")
    assert [str(r) for r in dist.requires] == [
        'foo>=1; python_version < "3.12"',
        'bar[baz]; extra == "socks-proxy"',
    ]
    assert dist.provides_extras == ("socks-proxy",)
    assert dist.requires_python == SpecifierSet(">=3.8")
    assert dist.requested is True
    assert dist.installer == "pip"
    assert dist.origin == Origin()
    assert dist.location == info
    assert dist.metadata_format == "dist-info"
    assert dist.in_base is False


def test_pep503_names_and_sorted_output(site: FakeSite) -> None:
    site("Zope.Interface", "6.0")
    site("a_b-C", "1.0")
    site("PyYAML", "6.0.2")
    dists, _ = read_distributions([site.root])
    assert [(d.name, d.display_name) for d in dists] == [
        ("a-b-c", "a_b-C"),
        ("pyyaml", "PyYAML"),
        ("zope-interface", "Zope.Interface"),
    ]


def test_description_body_is_not_read_as_headers(site: FakeSite) -> None:
    site("pkg", "1.0")
    dists, _ = read(site)
    assert list(dists) == ["pkg"]


def test_crlf_metadata_and_continuation_lines(site: FakeSite) -> None:
    site.raw(
        "pkg-1.0.dist-info",
        {
            "METADATA": b"Metadata-Version: 2.1\r\nName: pkg\r\nVersion: 1.0\r\n"
            b"Requires-Dist: foo\r\n  >=1\r\n\r\nbody\r\n"
        },
    )
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    assert [str(r) for r in dists[0].requires] == ["foo>=1"]


def test_invalid_version_warns_and_skips(site: FakeSite) -> None:
    bad = site("bad", "not a version")
    site("good", "1.0")
    dists, warnings = read(site)
    assert list(dists) == ["good"]
    assert warnings == [f"{bad}: invalid version 'not a version': skipped"]


def test_missing_metadata_file_warns_with_the_dir(site: FakeSite) -> None:
    bad = site.raw("ghost-1.0.dist-info", {"RECORD": ""})
    dists, warnings = read(site)
    assert dists == {}
    assert warnings == [f"{bad}: no METADATA file: skipped"]


@pytest.mark.parametrize(
    ("metadata", "missing"),
    [
        ("Metadata-Version: 2.1\nVersion: 1.0\n", "Name"),
        ("Metadata-Version: 2.1\nName: x\n", "Version"),
    ],
)
def test_missing_name_or_version(site: FakeSite, metadata: str, missing: str) -> None:
    bad = site.raw("x-1.0.dist-info", {"METADATA": metadata})
    dists, warnings = read(site)
    assert dists == {}
    assert warnings == [f"{bad}: metadata has no {missing}: skipped"]


def test_invalid_name_is_skipped(site: FakeSite) -> None:
    bad = site("not a name", "1.0", dir_name="weird-1.0.dist-info")
    dists, warnings = read(site)
    assert dists == {}
    assert warnings == [f"{bad}: invalid name 'not a name' (PEP 508): skipped"]


def test_non_utf8_metadata_warns_and_still_reads(site: FakeSite) -> None:
    bad = site.raw(
        "latin-1.0.dist-info",
        {"METADATA": b"Metadata-Version: 2.1\nName: latin\nVersion: 1.0\nAuthor: Jos\xe9\n"},
    )
    dists, warnings = read(site)
    assert list(dists) == ["latin"]
    assert warnings == [f"{bad / 'METADATA'}: not UTF-8 (byte 58); undecodable bytes replaced"]


def test_invalid_requires_dist_line_is_skipped_with_a_warning(site: FakeSite) -> None:
    info = site("mlpkg", "1.0", "scikit-learn (>=1.0.*)", "numpy>=1.20")
    dists, warnings = read_distributions([site.root])
    assert [str(r) for r in dists[0].requires] == ["numpy>=1.20"]
    [warning] = warnings
    assert warning.path == info
    assert warning.message.startswith("invalid Requires-Dist 'scikit-learn (>=1.0.*)' skipped: ")


def test_invalid_requires_python_is_ignored_with_a_warning(site: FakeSite) -> None:
    info = site("pkg", "1.0", requires_python=">=3.6.*")
    dists, warnings = read_distributions([site.root])
    assert dists[0].requires_python is None
    assert [str(w) for w in warnings] == [f"{info}: invalid Requires-Python '>=3.6.*': ignored"]


def test_unreadable_metadata_is_reported(site: FakeSite) -> None:
    # a *.dist-info that is a file, not a dir: METADATA cannot be opened
    (site.root / "odd-1.0.dist-info").write_text("x", encoding="utf-8")
    dists, warnings = read(site)
    assert dists == {}
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{site.root / 'odd-1.0.dist-info' / 'METADATA'}: cannot read: ")


def test_missing_site_dir_is_a_warning(tmp_path: Path) -> None:
    dists, warnings = read_distributions([tmp_path / "nope"])
    assert dists == []
    assert [w.message for w in warnings] == ["cannot list directory: No such file or directory"]


def test_two_dist_info_dirs_for_one_name_warn_with_both_paths(site: FakeSite) -> None:
    first = site("Foo", "1.0")
    second = site("foo", "2.0")
    dists, warnings = read(site)
    assert dists["foo"].version == Version("1.0")  # type: ignore[attr-defined]
    assert warnings == [f"{second}: foo is installed twice: also at {first}; using the first one"]


def test_base_dirs_are_marked_and_shadowed_silently(site: FakeSite, tmp_path: Path) -> None:
    site("shared", "2.0")
    base = FakeSite(tmp_path / "base")
    base("shared", "1.0")
    base("only-base", "1.0")
    dists, warnings = read_distributions([site.root], [base.root])
    assert warnings == []
    assert [(d.name, str(d.version), d.in_base) for d in dists] == [
        ("only-base", "1.0", True),
        ("shared", "2.0", False),
    ]


def test_installer_requested_absent(site: FakeSite) -> None:
    site("a", "1.0", installer=None)
    site("b", "1.0", installer="uv", requested=True)
    dists, _ = read(site)
    assert (dists["a"].installer, dists["a"].requested) == (None, False)  # type: ignore[attr-defined]
    assert (dists["b"].installer, dists["b"].requested) == ("uv", True)  # type: ignore[attr-defined]


# ---- egg-info and develop installs -------------------------------------------------------


def test_egg_info_dir_with_requires_txt_sections(site: FakeSite) -> None:
    path = site.egg_info(
        "Legacy",
        "0.9",
        'six>=1.0\n\n[socks]\nPySocks!=1.5.7\n\n[:python_version < "3.12"]\n'
        'importlib-metadata\n\n[test:sys_platform == "win32"]\ncolorama\n'
        "# a comment\n[dev]\npytest; python_version >= '3.8'\n",
        requested=True,
    )
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    [dist] = dists
    assert (dist.name, dist.display_name, dist.metadata_format) == ("legacy", "Legacy", "egg-info")
    assert dist.location == path
    assert dist.requested is True
    assert [str(r) for r in dist.requires] == [
        "six>=1.0",
        'PySocks!=1.5.7; extra == "socks"',
        'importlib-metadata; python_version < "3.12"',
        'colorama; extra == "test" and sys_platform == "win32"',
        'pytest; python_version >= "3.8" and extra == "dev"',
    ]


def test_egg_info_file(site: FakeSite) -> None:
    path = site.egg_info("distutils-pkg", "1.2", as_file=True)
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    assert [(d.name, str(d.version), d.location, d.requires) for d in dists] == [
        ("distutils-pkg", "1.2", path, ())
    ]


def test_egg_link_develop_install(site: FakeSite, tmp_path: Path) -> None:
    project = tmp_path / "src" / "mylib"
    site.egg_link("my-lib", "0.1.dev0", project, "click\n")
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    [dist] = dists
    assert dist.name == "my-lib"
    assert dist.origin == Origin(kind="directory", url=project.as_uri(), editable=True)
    assert [str(r) for r in dist.requires] == ["click"]
    assert dist.location == project / "my_lib.egg-info"


def test_egg_link_to_nothing_warns(site: FakeSite, tmp_path: Path) -> None:
    link = site.root / "gone.egg-link"
    link.write_text(f"{tmp_path / 'gone'}\n", encoding="utf-8")
    empty = site.root / "empty.egg-link"
    empty.write_text("", encoding="utf-8")
    _, warnings = read(site)
    assert warnings == [
        f"{empty}: empty .egg-link file",
        f"{link}: points to {tmp_path / 'gone'}, which has no *.egg-info",
    ]


def test_editable_pth_static_fallback(site: FakeSite, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "src").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[project]\nname='edpkg'\n", encoding="utf-8")
    site("edpkg", "1.0")
    site.editable_pth("edpkg", "1.0", project / "src")
    dists, _ = read_distributions([site.root])
    assert dists[0].origin == Origin(kind="directory", url=project.as_uri(), editable=True)


def test_editable_pth_finder_fallback(site: FakeSite, tmp_path: Path) -> None:
    project = tmp_path / "proj2"
    (project / "finder_pkg").mkdir(parents=True)
    (project / "setup.py").write_text("", encoding="utf-8")
    site("finder-pkg", "2.0.1")
    site.editable_pth("finder-pkg", "2.0.1", project, package="finder_pkg")
    dists, _ = read_distributions([site.root])
    assert dists[0].origin == Origin(kind="directory", url=project.as_uri(), editable=True)


def test_editable_pth_finder_missing_module_is_ignored(site: FakeSite, tmp_path: Path) -> None:
    site("lost", "1.0")
    (site.root / "__editable__.lost-1.0.pth").write_text("import x; x.install()", encoding="utf-8")
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    assert dists[0].origin == Origin()


def test_editable_pth_without_project_file_keeps_the_path(site: FakeSite, tmp_path: Path) -> None:
    site("plain", "1.0")
    site.editable_pth("plain", "1.0", tmp_path / "somewhere")
    dists, _ = read_distributions([site.root])
    assert dists[0].origin.url == (tmp_path / "somewhere").as_uri()


def test_direct_url_json_beats_the_pth_fallback(site: FakeSite, tmp_path: Path) -> None:
    url = (tmp_path / "real").as_uri()
    site("both", "1.0", direct_url={"url": url, "dir_info": {"editable": True}})
    site.editable_pth("both", "1.0", tmp_path / "other")
    dists, _ = read_distributions([site.root])
    assert dists[0].origin == Origin(kind="directory", url=url, editable=True)


# ---- PEP 610 direct_url.json --------------------------------------------------------------


def test_direct_url_archive_with_hash(site: FakeSite) -> None:
    site(
        "arch",
        "1.0",
        direct_url={
            "url": "https://files.example/arch-1.0.tar.gz",
            "archive_info": {"hashes": {"md5": "00", "sha256": "ab" * 32}},
        },
    )
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    assert dists[0].origin == Origin(
        kind="archive",
        url="https://files.example/arch-1.0.tar.gz",
        archive_hash="sha256=" + "ab" * 32,
    )


def test_direct_url_archive_legacy_hash_and_no_hash(site: FakeSite) -> None:
    site("old", "1.0", direct_url={"url": "file:///w/old.whl", "archive_info": {"hash": "md5=ff"}})
    site("nohash", "1.0", direct_url={"url": "file:///w/nohash.whl", "archive_info": {}})
    dists, _ = read(site)
    assert dists["old"].origin.archive_hash == "md5=ff"  # type: ignore[attr-defined]
    assert dists["nohash"].origin == Origin(kind="archive", url="file:///w/nohash.whl")  # type: ignore[attr-defined]


def test_direct_url_vcs_with_commit_and_subdirectory(site: FakeSite) -> None:
    site(
        "vcspkg",
        "0.3",
        direct_url={
            "url": "https://example.invalid/org/vcspkg.git",
            "vcs_info": {
                "vcs": "git",
                "commit_id": "c0ffee" * 6 + "beef",
                "requested_revision": "main",
            },
            "subdirectory": "python",
        },
    )
    dists, _ = read_distributions([site.root])
    assert dists[0].origin == Origin(
        kind="vcs",
        url="https://example.invalid/org/vcspkg.git",
        vcs="git",
        commit="c0ffee" * 6 + "beef",
        requested_revision="main",
        subdirectory="python",
    )


@pytest.mark.parametrize(
    ("document", "said"),
    [
        (
            {"url": "file:///w/a.whl", "archive_info": {"hashes": {"sha256": "ab\u2028cd"}}},
            "archive_info.hashes.sha256 'ab\\u2028cd' holds a control character (U+2028)",
        ),
        (
            {"url": "file:///w/a", "dir_info": {}, "subdirectory": "x\r--no-index"},
            "subdirectory 'x\\r--no-index' holds a control character (U+000D)",
        ),
        (
            {"url": "file:///w/a", "dir_info": {"editable": True}, "x\x1b[2J": 1},
            "a key 'x\\x1b[2J' holds a control character (U+001B)",
        ),
    ],
    ids=["hash", "subdirectory", "key"],
)
def test_direct_url_values_with_control_characters_leave_an_index_pin(
    site: FakeSite, document: dict[str, object], said: str
) -> None:
    """Issue 20 item 6: the origin is dropped, the value quoted escaped, the dist kept."""
    info = site("ctl", "1.0", direct_url=document)
    dists, warnings = read(site)
    assert dists["ctl"].origin == Origin()  # type: ignore[attr-defined]
    assert warnings == [
        f"{info}: direct_url.json: {said}; its origin is ignored: pinned by version, from the index"
    ]


def test_direct_url_local_dir_and_editable(site: FakeSite) -> None:
    site("localdir", "1.0", direct_url={"url": "file:///src/localdir", "dir_info": {}})
    site("ed", "1.0", direct_url={"url": "file:///src/ed", "dir_info": {"editable": True}})
    dists, _ = read(site)
    assert dists["localdir"].origin == Origin(kind="directory", url="file:///src/localdir")  # type: ignore[attr-defined]
    assert dists["ed"].origin == Origin(kind="directory", url="file:///src/ed", editable=True)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "url",
    [
        "https://alice:s3cret@example.invalid/private/pkg.whl",
        "https://ghp_TOKENVALUE@example.invalid/private/pkg.whl",
    ],
)
def test_direct_url_credentials_are_stripped_with_a_warning(site: FakeSite, url: str) -> None:
    info = site("private", "1.0", direct_url={"url": url, "archive_info": {}})
    dists, warnings = read_distributions([site.root])
    assert dists[0].origin.url == "https://example.invalid/private/pkg.whl"
    assert [str(w) for w in warnings] == [
        f"{info / 'direct_url.json'}: credentials removed from the recorded URL; never written out"
    ]


def test_requires_dist_url_credentials_are_stripped(site: FakeSite) -> None:
    info = site("dep", "1.0", "private @ https://bob:pw@example.invalid/p.whl")
    dists, warnings = read_distributions([site.root])
    assert [str(r) for r in dists[0].requires] == ["private @ https://example.invalid/p.whl"]
    assert [str(w) for w in warnings] == [
        f"{info}: credentials removed from the URL of Requires-Dist private @ https://example.invalid/p.whl"
    ]


def test_invalid_requires_dist_with_credentials_is_redacted(site: FakeSite) -> None:
    site("dep2", "1.0", "private @ https://bob:pw@example.invalid/p.whl ; ===")
    _, warnings = read_distributions([site.root])
    assert len(warnings) == 1
    assert "pw" not in str(warnings[0])
    assert "https://example.invalid/p.whl" in str(warnings[0])


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("{not json", "Expecting property name enclosed in double quotes"),
        ('{"url": "file:///x"}', "Exactly one of vcs_info, archive_info, dir_info must be present"),
    ],
)
def test_invalid_direct_url_json_is_ignored(site: FakeSite, content: str, detail: str) -> None:
    info = site("odd", "1.0")
    (info / "direct_url.json").write_text(content, encoding="utf-8")
    dists, warnings = read_distributions([site.root])
    assert dists[0].origin == Origin()
    assert len(warnings) == 1
    assert warnings[0].path == info / "direct_url.json"
    assert warnings[0].message.startswith("invalid direct_url.json (")
    assert detail in warnings[0].message
    assert warnings[0].message.endswith("): ignored")


def test_direct_url_json_as_a_directory_is_unreadable(site: FakeSite) -> None:
    info = site("odd", "1.0")
    (info / "direct_url.json").mkdir()
    dists, warnings = read_distributions([site.root])
    assert dists[0].origin == Origin()
    assert [w.path for w in warnings] == [info / "direct_url.json"]
    assert warnings[0].message.startswith("cannot read: ")


# ---- static broken samples shared with the docs ----------------------------------------------


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("bad-version", "invalid version '1.0-final-really': skipped"),
        ("no-name", "metadata has no Name: skipped"),
        ("no-version", "metadata has no Version: skipped"),
    ],
)
def test_fixture_samples(site: FakeSite, sample: str, message: str) -> None:
    target = site.root / f"{sample}-1.0.dist-info"
    target.mkdir()
    shutil.copy(FIXTURES / f"{sample}.METADATA", target / "METADATA")
    dists, warnings = read_distributions([site.root])
    assert dists == []
    assert warnings == [MetadataWarning(target, message)]


def test_fixture_invalid_requires_dist_sample(site: FakeSite) -> None:
    target = site.root / "sklearn_user-1.0.dist-info"
    target.mkdir()
    shutil.copy(FIXTURES / "invalid-requires-dist.METADATA", target / "METADATA")
    dists, warnings = read_distributions([site.root])
    assert [str(r) for r in dists[0].requires] == ["numpy>=1.20"]
    assert [os.fspath(w.path) for w in warnings] == [os.fspath(target)]


def test_fixture_latin1_sample(site: FakeSite) -> None:
    target = site.root / "latin-1.0.dist-info"
    target.mkdir()
    shutil.copy(FIXTURES / "latin1.METADATA", target / "METADATA")
    dists, warnings = read_distributions([site.root])
    assert [d.name for d in dists] == ["latin"]
    assert [w.path for w in warnings] == [target / "METADATA"]


def test_requirement_objects_are_shared_between_dists(site: FakeSite) -> None:
    site("a", "1.0", "common>=1")
    site("b", "1.0", "common>=1")
    dists, _ = read_distributions([site.root])
    assert dists[0].requires[0] is dists[1].requires[0]
    assert dists[0].requires[0] == Requirement("common>=1")


# ---- corners -------------------------------------------------------------------------------


def test_egg_info_dir_without_pkg_info(site: FakeSite) -> None:
    bad = site.raw("empty-1.0.egg-info", {"requires.txt": "six\n"})
    dists, warnings = read(site)
    assert dists == {}
    assert warnings == [f"{bad}: no PKG-INFO file: skipped"]


def test_unreadable_requires_txt(site: FakeSite) -> None:
    path = site.egg_info("odd", "1.0")
    (path / "requires.txt").mkdir()
    dists, warnings = read_distributions([site.root])
    assert dists[0].requires == ()
    assert [w.path for w in warnings] == [path / "requires.txt"]
    assert warnings[0].message.startswith("cannot read: ")


def test_huge_header_block_is_read_to_its_end(site: FakeSite) -> None:
    filler = tuple(f"Classifier: Topic :: Filler {i:05d} " + "x" * 60 for i in range(400))
    site("big", "1.0", "last-dep", headers=filler)
    dists, _ = read_distributions([site.root])
    assert [str(r) for r in dists[0].requires] == ["last-dep"]


def test_finder_module_without_mapping_is_ignored(site: FakeSite, tmp_path: Path) -> None:
    site("nomap", "1.0")
    site.editable_pth("nomap", "1.0", tmp_path / "p", package="nomap")
    finder = next(site.root.glob("__editable___nomap*_finder.py"))
    finder.write_text("# nothing here\n", encoding="utf-8")
    dists, _ = read_distributions([site.root])
    assert dists[0].origin == Origin()


def test_url_requirement_without_credentials(site: FakeSite) -> None:
    site("dep", "1.0", "other @ https://example.invalid/o.whl")
    dists, warnings = read_distributions([site.root])
    assert warnings == []
    assert dists[0].requires[0].url == "https://example.invalid/o.whl"


@pytest.mark.parametrize(
    "line",
    [
        "requests",
        "Requests >= 2.0, <3",
        "foo[Bar, baz_qux]>=1.0; python_version < '3.12' and extra == 'x'",
        "foo (>=1.0,<2)",
        "foo[]",
        "foo ; sys_platform == 'win32'",
        "zope.interface~=6.0",
        "foo===1.0",
        "foo@ file:///x/foo.whl",
        "foo[bar baz]",
        "foo>=1,",
        "foo>=1.0.*",
        "foo (>=1.0.*)",
        "foo; python_version ~",
        "-foo",
    ],
)
def test_fast_requirement_parser_agrees_with_packaging(site: FakeSite, line: str) -> None:
    from packaging.requirements import InvalidRequirement  # noqa: PLC0415

    try:
        expected: Requirement | None = Requirement(line)
    except InvalidRequirement:
        expected = None
    site("probe", "1.0", line)
    dists, warnings = read_distributions([site.root])
    if expected is None:
        assert dists[0].requires == ()
        assert len(warnings) == 1
    else:
        assert warnings == []
        [got] = dists[0].requires
        assert got == expected
        assert str(got) == str(expected)
        assert (got.name, got.extras, got.specifier, got.marker, got.url) == (
            expected.name,
            expected.extras,
            expected.specifier,
            expected.marker,
            expected.url,
        )


def test_egg_info_dir_without_requires_txt(site: FakeSite) -> None:
    site.egg_info("bare", "1.0")
    dists, warnings = read_distributions([site.root])
    assert (warnings, dists[0].requires) == ([], ())


# ---- Requires-Dist kept as text, parsed on demand -------------------------------------------


@pytest.mark.parametrize(
    ("line", "extra"),
    [
        ('pytest; extra == "test"', "test"),
        ("pytest ; extra=='Dev_Tools'", "dev-tools"),
        ('pytest>=8 ;  extra  ==  "test"  ', "test"),
        ("Sphinx (>=5.1.1) ; extra == 'docs'", "docs"),
        ('pytest; python_version < "3.12" and extra == "test"', None),
        ('pytest; "test" == extra', None),
        ('pytest; extra != "test"', None),
        ('pytest; extra == "it\'s"', None),
        ("pytest", None),
        ('pytest; python_version < "3.12"', None),
        ('private @ https://example.invalid/p.whl ; extra == "x"', None),
        ('private @ https://example.invalid/p;extra=="x"', None),
    ],
)
def test_extra_of_names_the_extra_only_when_that_is_the_whole_marker(
    line: str, extra: str | None
) -> None:
    assert extra_of(line) == extra
    if extra is not None:  # packaging agrees: it holds for that extra only
        marker = Requirement(line).marker
        assert marker is not None
        assert marker.evaluate({**LINUX_311, "extra": extra})
        assert not marker.evaluate({**LINUX_311, "extra": ""})


def test_requires_is_parsed_on_first_use_and_skips_bad_lines(site: FakeSite) -> None:
    site("a", "1.0", "good>=1", "bad (>=1.0.*)", 'opt; extra == "x"', extras=["x"])
    dists, _ = read_distributions([site.root], parse_requires=False)
    [dist] = dists
    assert dist.requires_dist == ("good>=1", "bad (>=1.0.*)", 'opt; extra == "x"')
    assert dist.requires == (Requirement("good>=1"), Requirement('opt; extra == "x"'))
    assert dist.requires is dist.requires  # parsed once


def test_reading_without_parsing_leaves_bad_lines_unsaid(site: FakeSite) -> None:
    info = site("a", "1.0", "bad (>=1.0.*)")
    _, lazy = read_distributions([site.root], parse_requires=False)
    _, eager = read_distributions([site.root])
    assert lazy == []
    assert [w.path for w in eager] == [info]


def _reference_headers(text: str) -> dict[str, list[str]]:
    """The header parser before the kept headers were picked out (every header kept)."""
    headers: dict[str, list[str]] = {}
    key: str | None = None
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and key is not None:
            headers[key][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            key = None
            continue
        key = name.strip().lower()
        headers.setdefault(key, []).append(value.strip())
    return headers


HEADER_LINES = st.sampled_from(
    [
        "Name: pkg",
        "name : Other",
        "Version: 1.0",
        "VERSION:2.0",
        "Requires-Dist: a>=1",
        "Requires-Dist: b ;",
        "requires-dist : c",
        "Provides-Extra: x",
        "Requires-Python: >=3.8",
        "Classifier: Topic :: A",
        "License: MIT",
        "  continued",
        "\tmore; text",
        " Name: folded-or-not",
        "no colon here",
        "\x0bName: odd-space",
        "Pname: not-wanted",
        "Version",
        "",
        ":",
    ]
)


@given(st.lists(HEADER_LINES, max_size=12))
@settings(max_examples=300, deadline=None)
def test_header_parser_keeps_what_the_full_parser_read(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    """The kept headers are read exactly as the parser that kept every header read them."""
    path = tmp_path_factory.mktemp("meta") / "METADATA"
    text = "\n".join(line for line in lines if line)  # a blank line would end the block
    path.write_text(text + "\n\nbody: not a header\n", encoding="utf-8")
    got = read_metadata(str(path), [])
    expected = {k: v for k, v in _reference_headers(text + "\n").items() if k in _WANTED}
    assert got == expected
