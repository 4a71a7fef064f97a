"""Property tests (hypothesis) over generated environments and generated text.

Environments: names (any case and separator), versions (epochs, pre/post/dev,
local), dependency graphs with extras, markers (true and false here) and
cycles, and origins (index, archive, VCS, editable). For each one:

- freeze -> requirements.txt -> read back by the strict reader and by the
  pip-api reader gives the *same* Lock, which holds exactly what was listed;
- freeze -> pylock.toml (hashes from a static local source) -> read back
  gives the same packages, versions, origins and classification;
- two snapshots of the same tree give byte-identical files;
- ``compare_env_to_lock`` of the env against its own freeze is clean.

Fuzzing: both requirements readers, and the pylock reader, return a Lock or
raise envsnap's :class:`~envsnap.errors.InputError` for any text.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from envsnap.compare.drift import compare_env_to_lock
from envsnap.environment.distributions import read_distributions
from envsnap.environment.snapshot import TOOLING, Snapshot, build_snapshot
from envsnap.errors import InputError
from envsnap.index.distfile import DistFile, ProjectFiles
from envsnap.index.repository import StaticSource
from envsnap.lock import Lock
from envsnap.lockfiles import DumpOptions
from envsnap.lockfiles.pylock import read as pylock_reader
from envsnap.lockfiles.pylock import write as pylock
from envsnap.lockfiles.requirements import read_any as pip_reader
from envsnap.lockfiles.requirements import read_strict as strict_reader
from envsnap.lockfiles.requirements import write as requirements_writer
from support.fake_site import FakeSite, make_environment

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)


@st.composite
def names(draw: st.DrawFn) -> str:
    """A valid project name in some spelling (case, ``-``/``_``/``.``)."""
    parts = draw(st.lists(_WORDS, min_size=1, max_size=3))
    seps = draw(st.lists(st.sampled_from("-_."), min_size=len(parts), max_size=len(parts)))
    text = parts[0] + "".join(s + p for s, p in zip(seps[1:], parts[1:], strict=True))
    return draw(st.sampled_from([text, text.upper(), text.title()]))


@st.composite
def versions(draw: st.DrawFn) -> str:
    """A PEP 440 version string, unnormalized spellings included."""
    release = ".".join(str(n) for n in draw(st.lists(st.integers(0, 30), min_size=1, max_size=3)))
    text = release
    if draw(st.booleans()):
        text = f"{draw(st.integers(1, 2))}!{text}"
    pre = draw(st.sampled_from(["", "a1", "b2", "rc1", "alpha3", "-pre1"]))
    post = draw(st.sampled_from(["", ".post1", "-2", "post3"]))
    dev = draw(st.sampled_from(["", ".dev0", "dev4"]))
    local = draw(st.sampled_from(["", "", "+local.7", "+ubuntu1"]))
    text += pre + post + dev + local
    Version(text)
    return text


ORIGINS = ("index", "index", "index", "archive", "vcs", "editable")
TRUE_MARKERS = ('python_version >= "3"', 'sys_platform == "linux"', 'os_name == "posix"')
FALSE_MARKERS = ('sys_platform == "win32"', 'python_version < "3"')


@st.composite
def environments(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A list of distributions: name, version, requires, extras, origin, requested."""
    raw = draw(st.lists(names(), min_size=1, max_size=8))
    chosen: dict[str, str] = {}
    for name in raw:
        key = canonicalize_name(name)
        if key not in chosen and key not in TOOLING and key != "pkg-resources":
            chosen[key] = name
    dists = [{"name": n, "version": draw(versions())} for n in chosen.values()]
    for dist in dists:
        others = [d for d in dists if d is not dist] + ([dist] if draw(st.booleans()) else [])
        requires: list[str] = []
        extras: list[str] = []
        for other in draw(st.lists(st.sampled_from(others), max_size=4)) if others else []:
            spec = draw(
                st.sampled_from(
                    ["", f"=={other['version']}", f">={Version(other['version']).public}"]
                )
            )
            if draw(st.booleans()) and spec == "":
                spec = " (>=0.dev0)"
            marker = draw(st.sampled_from(["", *TRUE_MARKERS]))
            if draw(st.integers(0, 3)) == 0:
                extra = draw(st.sampled_from(["fast", "Socks", "test_extra"]))
                extras.append(extra)
                marker = f'extra == "{extra}"' + (f" and {marker}" if marker else "")
            requires.append(f"{other['name']}{spec}" + (f"; {marker}" if marker else ""))
        if draw(st.booleans()):  # a requirement that does not apply here: no edge, no drift
            requires.append(f"not-installed-anywhere>=1; {draw(st.sampled_from(FALSE_MARKERS))}")
        dist["requires"] = requires
        dist["extras"] = sorted(set(extras))
        dist["origin"] = draw(st.sampled_from(ORIGINS))
        dist["requested"] = draw(st.booleans())
        dist["installer"] = draw(st.sampled_from(["pip", "uv", None]))
    return dists


def _write(root: Path, dists: list[dict[str, Any]]) -> FakeSite:
    site = FakeSite(root / "venv" / "lib" / "python3.11" / "site-packages")
    site.root.mkdir(parents=True)
    for dist in dists:
        key = canonicalize_name(dist["name"])
        direct_url = None
        if dist["origin"] == "archive":
            digest = hashlib.sha256(key.encode()).hexdigest()
            direct_url = {
                "url": f"https://files.example.invalid/{key}-{dist['version']}.tar.gz",
                "archive_info": {"hashes": {"sha256": digest}},
            }
        elif dist["origin"] == "vcs":
            commit = hashlib.sha1(key.encode()).hexdigest()
            direct_url = {
                "url": f"https://git.example.invalid/{key}.git",
                "vcs_info": {"vcs": "git", "commit_id": commit},
            }
        elif dist["origin"] == "editable":
            project = root / "src" / key
            project.mkdir(parents=True)
            (project / "pyproject.toml").write_text(
                f'[project]\nname = "{dist["name"]}"\n', encoding="utf-8"
            )
            direct_url = {"url": project.as_uri(), "dir_info": {"editable": True}}
        site(
            dist["name"],
            dist["version"],
            *dist["requires"],
            extras=dist["extras"],
            requested=dist["requested"],
            installer=dist["installer"],
            direct_url=direct_url,
        )
    return site


def _snapshot(site: FakeSite) -> Snapshot:
    env = make_environment(site.root, prefix=site.root.parents[2])
    dists, warnings = read_distributions([site.root])
    return build_snapshot(env, dists, warnings=warnings)


def _static_source(snapshot: Snapshot) -> StaticSource:
    projects = {}
    for dist in snapshot.distributions:
        filename = f"{dist.name.replace('-', '_')}-{dist.version}-py3-none-any.whl"
        digest = hashlib.sha256(filename.encode()).hexdigest()
        files = (
            DistFile(
                filename=filename,
                hashes={"sha256": digest},
                url=f"https://index.example/files/{filename}",
            ),
        )
        projects[dist.name] = ProjectFiles(name=dist.name, version=dist.version, files=files)
    return StaticSource(projects)


@SETTINGS
@given(dists=environments())
def test_freeze_read_back_with_both_readers(dists: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        site = _write(root, dists)
        snapshot = _snapshot(site)
        assert snapshot.warnings == ()
        assert snapshot.unsatisfied == ()
        options = DumpOptions(output_dir=root)
        text = requirements_writer.dump(snapshot, options)
        assert requirements_writer.dump(_snapshot(site), options) == text  # byte-identical
        path = root / "requirements.txt"
        path.write_text(text, encoding="utf-8")
        strict = strict_reader.load(path)
        through_pip = pip_reader.load(path)
        assert strict == through_pip
        listed = snapshot.listed()
        assert [(p.name, p.display_name) for p in strict.packages] == [
            (d.name, d.display_name) for d in listed
        ]
        for package, dist in zip(strict.packages, listed, strict=True):
            assert package.origin.kind == dist.origin.kind
            if dist.origin.kind == "index":
                assert package.version == dist.version
            assert package.top_level == snapshot.reasons[dist.name].top_level
        report = compare_env_to_lock(snapshot, strict)
        assert report.changes == (), report.changes


@SETTINGS
@given(dists=environments())
def test_pylock_round_trip(dists: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        site = _write(root, dists)
        snapshot = _snapshot(site)
        options = DumpOptions(output_dir=root, hash_source=_static_source(snapshot))
        text = pylock.dump(snapshot, options)
        assert pylock.dump(_snapshot(site), options) == text
        path = root / "pylock.toml"
        path.write_text(text, encoding="utf-8")
        lock = pylock_reader.load(path)
        listed = snapshot.listed()
        assert [p.name for p in lock.packages] == [d.name for d in listed]
        for package, dist in zip(lock.packages, listed, strict=True):
            assert package.origin.kind == dist.origin.kind
            assert package.top_level == snapshot.reasons[dist.name].top_level
            if dist.origin.kind == "index":
                assert package.version == dist.version
                assert len(package.hashes) == 1
        report = compare_env_to_lock(snapshot, lock)
        assert report.changes == (), report.changes


# ----------------------------------------------------------------------------- fuzzing

_LINE_PARTS = st.sampled_from(
    [
        "alpha==1.0",
        "Beta_Two==2.0.post1",
        "gamma @ https://files.example.invalid/gamma-1.0.tar.gz#sha256=00",
        "delta @ git+https://git.example.invalid/delta.git@" + "a" * 40,
        "-e ./proj",
        "-e git+https://git.example.invalid/x.git#egg=x",
        "-r other.txt",
        "-r req.txt",
        "-c other.txt",
        "--index-url http://127.0.0.1:9/simple/",
        "-i",
        "-h",
        "--hash",
        "-e",
        "-r",
        "--hash=sha256:" + "0" * 64,
        "--hash=sha256",
        " \\",
        "# top-level",
        "# transitive",
        "    # via alpha",
        "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 1 top-level, 0 transitive",
        '; python_version >= "3"',
        "[extra]",
        ">=1,<2",
        "===1.0",
        "==1.*",
        "${HOME}",
        "\ufeff",
        "\r",
        "\x00",
    ]
)


@st.composite
def requirement_texts(draw: st.DrawFn) -> str:
    """Requirements-file-like text: grammar pieces mixed with arbitrary characters."""
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        pieces = draw(st.lists(st.one_of(_LINE_PARTS, st.text(max_size=8)), max_size=4))
        lines.append(" ".join(pieces))
    return "\n".join(lines)


def _outcome(load: Any, path: Path) -> Lock | InputError:
    try:
        lock = load(path)
    except InputError as exc:
        assert exc.message
        assert "\n" not in exc.message
        return exc
    assert isinstance(lock, Lock)
    return lock


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=requirement_texts(), other=requirement_texts())
def test_requirements_readers_never_crash(text: str, other: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "proj").mkdir()
        (root / "proj" / "pyproject.toml").write_text('[project]\nname = "proj"\n', "utf-8")
        (root / "other.txt").write_text(other, encoding="utf-8", newline="")
        path = root / "req.txt"
        path.write_text(text, encoding="utf-8", newline="")
        _outcome(strict_reader.load, path)
        _outcome(pip_reader.load, path)


_TOML_PARTS = st.sampled_from(
    [
        'lock-version = "1.0"',
        'lock-version = "2.0"',
        'created-by = "x"',
        "[[packages]]",
        'name = "alpha"',
        'name = "Alpha_X"',
        'version = "1.0"',
        'version = "not a version"',
        "marker = \"sys_platform == 'linux'\"",
        'marker = "nonsense >>"',
        'requires-python = ">=3"',
        'wheels = [{url = "https://i.example/alpha-1.0-py3-none-any.whl", '
        'hashes = {sha256 = "00"}}]',
        'wheels = [{name = "beta-1.0-py3-none-any.whl", hashes = {sha256 = "00"}}]',
        'sdist = {path = "../x.tar.gz", hashes = {sha256 = "00"}}',
        'archive = {url = "https://i.example/a.tar.gz", hashes = {}}',
        'directory = {path = "/elsewhere"}',
        'vcs = {type = "git", url = "https://g.example/a.git", commit-id = "abc"}',
        "[tool.envsnap]",
        'top-level = ["alpha"]',
        "top-level = 3",
        'reasons = {alpha = "requested"}',
        "packages = 1",
        "environments = [\"os_name == 'posix'\"]",
    ]
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(_TOML_PARTS, _TOML_PARTS, st.text(max_size=10)), max_size=14))
def test_pylock_reader_never_crashes(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pylock.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        _outcome(pylock_reader.load, path)
