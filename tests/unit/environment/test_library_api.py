"""The library API (envsnap.api, re-exported by the package root): dumps and dump
write snapshots and Locks, project= takes a path, errors name arguments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

import envsnap
from envsnap.api import dump, dumps, requirements_of
from envsnap.cli import as_flags
from envsnap.compare.drift import compare_lock_to_project
from envsnap.environment.distributions import read_distributions
from envsnap.environment.project import read_project
from envsnap.environment.snapshot import Snapshot, build_snapshot
from envsnap.errors import InputError
from envsnap.lock import Lock, LockedPackage
from envsnap.lockfiles import DumpOptions, get_writer

if TYPE_CHECKING:
    from pathlib import Path

    from support.fake_site import FakeSite


def snap(site: FakeSite, **kwargs: object) -> Snapshot:
    dists, warnings = read_distributions([site.root])
    return build_snapshot(site.environment(), dists, warnings=warnings, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def app(site: FakeSite) -> FakeSite:
    site("app", "1.0", "dep>=1", requested=True)
    site("dep", "2.0")
    return site


def test_dumps_is_the_requirements_writer(app: FakeSite, tmp_path: Path) -> None:
    snapshot = snap(app)
    writer = get_writer("requirements")
    assert dumps(snapshot) == writer(snapshot, DumpOptions())
    assert dumps(snapshot, top_level_only=True) == writer(
        snapshot, DumpOptions(top_level_only=True)
    )
    assert "app==1.0\n" in dumps(snapshot, top_level_only=True)
    assert "dep==2.0" not in dumps(snapshot, top_level_only=True)


def test_dump_chooses_the_format_from_the_name(app: FakeSite, tmp_path: Path) -> None:
    snapshot = snap(app)
    text = dump(snapshot, tmp_path / "requirements.txt").read_text(encoding="utf-8")
    assert text == get_writer("requirements")(snapshot, DumpOptions(output_dir=tmp_path))
    written = dump(snapshot, tmp_path / "env.json")
    data = json.loads(written.read_text(encoding="utf-8"))
    assert [d["name"] for d in data["packages"]] == ["app", "dep"]
    forced = dump(snapshot, tmp_path / "out.lock", format="json")
    assert forced.read_text(encoding="utf-8") == written.read_text(encoding="utf-8")


def test_render_refuses_an_unknown_format_or_option(app: FakeSite) -> None:
    snapshot = snap(app)
    with pytest.raises(InputError) as info:
        dumps(snapshot, "yaml")
    assert (info.value.message, info.value.hint) == (
        "unknown format 'yaml'",
        "format= takes json, pylock, requirements",
    )
    with pytest.raises(InputError) as info:
        dumps(snapshot, colour=True)
    assert "colour" in info.value.message


def test_lock_dump_writes_its_requirements(tmp_path: Path) -> None:
    lock = Lock(
        path=None,
        format="pylock",
        packages=(
            LockedPackage(
                name=canonicalize_name("Alpha"),
                display_name="Alpha",
                version=Version("1.0"),
                hashes=("sha256:" + "a" * 64,),
                top_level=True,
            ),
        ),
        index_options=("--index-url http://127.0.0.1:9/simple/",),
    )
    assert requirements_of(lock) == (
        f"--index-url http://127.0.0.1:9/simple/\nAlpha==1.0 --hash=sha256:{'a' * 64}\n"
    )
    path = envsnap.dump(lock, tmp_path / "requirements.txt")
    assert path.read_text(encoding="utf-8") == (
        f"--index-url http://127.0.0.1:9/simple/\nAlpha==1.0 --hash=sha256:{'a' * 64}\n"
    )
    with pytest.raises(InputError) as info:
        envsnap.dump(lock, tmp_path / "pylock.toml")
    assert info.value.message.endswith(": a Lock is written as a requirements file, not pylock")


def test_project_accepts_a_path(app: FakeSite, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "me"\nversion = "0"\ndependencies = ["app", "missing"]\n',
        encoding="utf-8",
    )
    by_path = snap(app, project=tmp_path)
    assert by_path.project == read_project(tmp_path)
    assert by_path.reasons == snap(app, project=read_project(tmp_path)).reasons
    lock = Lock(path=None, format="requirements", packages=())
    assert compare_lock_to_project(lock, tmp_path / "pyproject.toml") == compare_lock_to_project(
        lock, read_project(tmp_path)
    )


def test_library_errors_name_arguments_and_the_cli_shows_options() -> None:
    assert as_flags("name another with python=PATH (a venv directory)") == (
        "name another with --python PATH (a venv directory)"
    )
    assert as_flags("python=/x: no such interpreter (python=)") == (
        "--python /x: no such interpreter (--python)"
    )
    assert as_flags("restore with with_pip=False, or use use_cache=False") == (
        "restore with --without-pip, or use --no-cache"
    )
    assert as_flags("extras= and groups= need installer=direct; drop strict=True") == (
        "--extra and --group need --installer direct; drop --strict"
    )


def test_the_root_loads_the_api_on_first_use() -> None:
    """``import envsnap`` stays cheap; every public name is envsnap.api's own."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from envsnap import api  # noqa: PLC0415

    loaded = subprocess.run(
        [sys.executable, "-c", "import envsnap, sys; print('envsnap.api' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout == "False\n"
    for name in envsnap.__all__:
        if name != "__version__":
            assert getattr(envsnap, name) is getattr(api, name), name
    assert set(envsnap.__all__) == {*api.__all__, "__version__"} - {"restore"}


def test_the_roots_type_checking_names_are_api_all() -> None:
    """The ``X as X`` lines type checkers read name exactly the API's list (less ``restore``)."""
    import ast  # noqa: PLC0415
    import inspect  # noqa: PLC0415

    from envsnap import api  # noqa: PLC0415

    tree = ast.parse(inspect.getsource(envsnap))
    reexported = {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "envsnap.api"
        for alias in node.names
        if alias.asname == alias.name
    }
    assert reexported == set(api.__all__) - {"restore"}
