"""Plain-http URLs (pip's secure origins, ``--trusted-host``) and lock paths outside the project.

Nothing here touches the network: refusals happen before any request, and
``--dry-run`` only plans.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsnap.cli import cli
from envsnap.errors import InputError
from envsnap.index.repository import source_for
from envsnap.index.secure import check_secure, is_secure
from envsnap.index.settings import IndexOptions, index_settings
from envsnap.index.simple_index import SimpleIndex
from envsnap.index.transfer import http_timeout
from envsnap.restore import RestoreOptions, plan_restore

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
PY = "{}.{}.{}".format(*sys.version_info[:3])
NO_CONFIG = {"PIP_CONFIG_FILE": os.devnull}
HEADER = f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 1 top-level, 0 transitive\n"


@pytest.fixture(autouse=True)
def _no_pip_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's pip config and PIP_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith(("PIP_", "UV_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)


def restore_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["restore", *args], env=env)


@pytest.mark.parametrize(
    ("url", "secure"),
    [
        ("https://index.example/simple/", True),
        ("file:///srv/wheels/", True),
        ("/srv/wheels", True),
        ("http://localhost:8080/simple/", True),
        ("http://LOCALHOST/simple/", True),
        ("http://127.0.0.1:9/simple/", True),
        ("http://127.200.3.4/simple/", True),
        ("http://[::1]:9/simple/", True),
        ("http://0.0.0.0:9/simple/", False),
        ("http://[::ffff:127.0.0.1]:9/simple/", False),
        ("http://index.example/simple/", False),
        ("http://localhost.index.example/simple/", False),
        ("http://user:pw@index.example/simple/", False),
    ],
)
def test_secure_origins_are_pips(url: str, *, secure: bool) -> None:
    assert is_secure(url) is secure


@pytest.mark.parametrize(
    ("trusted", "url", "secure"),
    [
        ("index.example", "http://index.example/simple/", True),
        ("index.example", "http://index.example:8080/simple/", True),
        ("Index.Example:8080", "http://index.example:8080/simple/", True),
        ("index.example:8080", "http://index.example:8081/simple/", False),
        ("index.example:80", "http://index.example/simple/", True),
        ("other.example", "http://index.example/simple/", False),
        ("0.0.0.0", "http://0.0.0.0:9/simple/", True),
        ("[::ffff:127.0.0.1]:9", "http://[::ffff:127.0.0.1]:9/simple/", True),
    ],
)
def test_trusted_host_matching(trusted: str, url: str, *, secure: bool) -> None:
    """pip: a bare host trusts every port, ``HOST:PORT`` only that one."""
    assert is_secure(url, [trusted]) is secure


def test_check_secure_message_strips_credentials() -> None:
    with pytest.raises(InputError) as info:
        check_secure(
            [("https://ok.example/", "--index-url"), ("http://u:t0ken@h.example:81/s/", "X")]
        )
    assert (
        info.value.message
        == "X: http://h.example:81/s/ is plain http to a host that is not trusted"
    )
    assert info.value.hint == (
        "use https, or pass --trusted-host h.example:81 (or set PIP_TRUSTED_HOST) if you trust "
        "the network to it; hashes are still checked"
    )
    assert "t0ken" not in info.value.message + (info.value.hint or "")


def test_http_timeout_from_environment() -> None:
    assert http_timeout(30.0, environ={}) == 30.0
    assert http_timeout(30.0, environ={"ENVSNAP_HTTP_TIMEOUT": "0.5"}) == 0.5
    for bad in ("zero", "0", "-1", "inf", "nan"):
        with pytest.raises(InputError) as info:
            http_timeout(30.0, environ={"ENVSNAP_HTTP_TIMEOUT": bad})
        assert info.value.message == f"ENVSNAP_HTTP_TIMEOUT={bad}: not a positive number of seconds"


# ----------------------------------------------------------------------------- restore


def _requirements(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (("--index-url", "http://alice:s3cret@0.0.0.0:9/simple/"), "--index-url"),
        (("--extra-index-url", "http://0.0.0.0:9/simple/"), "--extra-index-url"),
        (("--find-links", "http://0.0.0.0:9/simple/"), "--find-links"),
    ],
)
def test_restore_refuses_plain_http_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], where: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _requirements(tmp_path, "# top-level", "solo==1.0", "# transitive")
    result = restore_cli("--python", sys.executable, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"error: {where}: http://0.0.0.0:9/simple/ is plain http to a host that is not trusted",
        "hint: use https, or pass --trusted-host 0.0.0.0:9 (or set PIP_TRUSTED_HOST) if you "
        "trust the network to it; hashes are still checked",
    ]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


@pytest.mark.parametrize(
    "trust",
    [
        ["--trusted-host", "0.0.0.0"],
        ["--trusted-host", "other.example", "--trusted-host", "0.0.0.0:9"],
        [],  # from PIP_TRUSTED_HOST
    ],
)
def test_trusted_host_opts_in(
    tmp_path: Path, trust: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = _requirements(tmp_path, "# top-level", "solo==1.0", "# transitive")
    if not trust:
        monkeypatch.setenv("PIP_TRUSTED_HOST", "0.0.0.0")
    options = RestoreOptions(
        venv=tmp_path / ".venv",
        python=sys.executable,
        index=IndexOptions(index_url="http://0.0.0.0:9/simple/", trusted_hosts=tuple(trust[1::2])),
    )
    plan = plan_restore(file, options)
    assert "0.0.0.0" in ",".join(plan.installs[0].index.trusted_hosts)
    assert plan.venv.index == plan.installs[0].index


def test_restore_reads_pip_trusted_host_and_file_lines(tmp_path: Path) -> None:
    """``--index-url`` / ``--trusted-host`` lines of a hand-written file count, like pip's."""
    file = tmp_path / "requirements.txt"
    file.write_text("--index-url http://0.0.0.0:9/simple/\nsolo==1.0\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_restore(file, RestoreOptions(venv=tmp_path / ".venv", python=sys.executable))
    assert info.value.message.startswith("--index-url: http://0.0.0.0:9/simple/ is plain http")
    file.write_text(
        "--index-url http://0.0.0.0:9/simple/\n--trusted-host 0.0.0.0\nsolo==1.0\n",
        encoding="utf-8",
    )
    plan = plan_restore(file, RestoreOptions(venv=tmp_path / ".venv", python=sys.executable))
    assert plan.installs[0].index.trusted_hosts == ("0.0.0.0",)


def test_restore_refuses_plain_http_in_the_lock_file(tmp_path: Path) -> None:
    """A pylock wheel URL and a ``name @ http://`` line: refused with FILE:LINE."""
    lock = tmp_path / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "solo"\n'
        'version = "1.0"\nwheels = [{ url = "http://u:p@files.example/solo-1.0-py3-none-any.whl",'
        f' hashes = {{ sha256 = "{"a" * 64}" }} }}]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        plan_restore(lock, RestoreOptions(venv=tmp_path / ".venv", python=sys.executable))
    assert info.value.message == (
        f"{lock}:7: http://files.example/solo-1.0-py3-none-any.whl is plain http to a host "
        "that is not trusted"
    )
    options = RestoreOptions(
        venv=tmp_path / ".venv",
        python=sys.executable,
        index=IndexOptions(trusted_hosts=("files.example",)),
    )
    assert plan_restore(lock, options).installs[0].index.trusted_hosts == ("files.example",)
    direct = _requirements(
        tmp_path,
        "# top-level",
        f"solo @ http://files.example/solo-1.0-py3-none-any.whl --hash=sha256:{'a' * 64}",
        "# transitive",
    )
    with pytest.raises(InputError) as info:
        plan_restore(direct, RestoreOptions(venv=tmp_path / ".venv", python=sys.executable))
    assert info.value.message.startswith(f"{direct}:3: http://files.example/solo-1.0")


def test_freeze_hash_source_refuses_plain_http() -> None:
    """freeze's hash collection goes through ``source_for``: the same rule."""
    settings = index_settings(index_url="http://0.0.0.0:9/simple/", environ=NO_CONFIG)
    with pytest.raises(InputError) as info:
        source_for(settings)
    assert info.value.message == (
        "--index-url: http://0.0.0.0:9/simple/ is plain http to a host that is not trusted"
    )
    trusted = index_settings(
        index_url="http://0.0.0.0:9/simple/",
        environ={"PIP_TRUSTED_HOST": "0.0.0.0", "PIP_CONFIG_FILE": os.devnull},
    )
    assert trusted.trusted_hosts == ("0.0.0.0",)
    assert isinstance(source_for(trusted), SimpleIndex)
    loopback = index_settings(index_url="http://127.0.0.1:9/simple/", environ=NO_CONFIG)
    assert isinstance(source_for(loopback), SimpleIndex)


def test_freeze_cli_refuses_plain_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hardening.corpus import assert_error, fake_target, invoke, site_packages  # noqa: PLC0415
    from support.fake_site import FakeSite  # noqa: PLC0415

    venv = fake_target(monkeypatch, tmp_path)
    FakeSite(site_packages(venv))("gamma", "1.0", requested=True)
    out = tmp_path / "pylock.toml"
    result = invoke("freeze", "-p", str(venv), "-o", str(out), "--index-url", "http://0.0.0.0:9/s/")
    assert_error(
        result,
        2,
        "error: --index-url: http://0.0.0.0:9/s/ is plain http to a host that is not trusted",
        hint="pass --trusted-host 0.0.0.0:9 (or set PIP_TRUSTED_HOST)",
    )
    assert not out.exists()
    trusted = invoke(
        "freeze",
        "-p",
        str(venv),
        "-o",
        str(out),
        "--index-url",
        "http://0.0.0.0:9/s/",
        "--trusted-host",
        "0.0.0.0:9",
    )
    assert trusted.exit_code == 3  # allowed now, and nothing listens there
    assert "is plain http" not in trusted.output
    assert "error: cannot reach http://0.0.0.0:9/" in trusted.output
    assert not out.exists()


# ------------------------------------------------------------------ paths outside the project


def test_pylock_paths_outside_are_listed_before_install(tmp_path: Path) -> None:
    """fixtures/bad/pylock/pylock.paths-outside-restore.toml: two paths leave the project."""
    fixture = FIXTURES / "bad" / "pylock" / "pylock.paths-outside-restore.toml"
    project = tmp_path / "fixtures" / "bad" / "pylock"
    project.mkdir(parents=True)
    wheels = tmp_path / "opt" / "wheels"
    lock = project / "pylock.toml"
    lock.write_text(
        fixture.read_text(encoding="utf-8").replace("/opt/wheels", str(wheels)), encoding="utf-8"
    )
    gamma = tmp_path / "fixtures" / "outside" / "gamma-1.0.tar.gz"
    for path in (
        gamma,
        project / "wheels" / "inside-1.0-py3-none-any.whl",
        wheels / "solo-1.0-py3-none-any.whl",
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")  # only their existence is checked before the build
    result = restore_cli(
        str(lock), "--venv", str(tmp_path / ".venv"), "--python", sys.executable, "--dry-run"
    )
    assert result.exit_code == 0, result.output
    notes = [
        f"{lock}:7: gamma comes from {gamma}, outside {project}",
        f"{lock}:17: solo comes from {wheels / 'solo-1.0-py3-none-any.whl'}, outside {project}",
    ]
    assert [line for line in result.stdout.splitlines() if line.startswith("note:")] == [
        f"note: {n}" for n in notes
    ]
    assert "note:" not in result.stderr  # --dry-run prints each note once, in the plan
    assert not (tmp_path / ".venv").exists()


def test_a_pylock_moved_away_from_its_paths_is_refused_before_anything_is_built(
    tmp_path: Path,
) -> None:
    """PEP 751 paths resolve from the lock's directory; a missing one is exit 2, nothing built."""
    lock = FIXTURES / "bad" / "pylock" / "pylock.paths-outside-restore.toml"
    for extra in ((), ("--dry-run",)):
        result = restore_cli(
            str(lock), "--venv", str(tmp_path / ".venv"), "--python", sys.executable, *extra
        )
        gamma = FIXTURES / "outside" / "gamma-1.0.tar.gz"
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            f"error: {lock}:7: gamma: {gamma} does not exist "
            "(and 2 more package(s) with missing paths)\n"
            f"hint: relative paths in a lock file resolve from its directory ({lock.parent}, "
            "PEP 751): keep the lock file where its paths lead, or fix the path; "
            "nothing was built\n"
        )
        assert not (tmp_path / ".venv").exists()


def test_requirements_paths_resolve_from_the_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``-e ../x``, ``name @ file:../x`` and ``./x``: from the file's directory, not the cwd."""
    project = tmp_path / "project"
    (project / "local" / "delta").mkdir(parents=True)
    (tmp_path / "elsewhere" / "pkg").mkdir(parents=True)
    for where, name in (
        (project / "local" / "delta", "delta"),
        (tmp_path / "elsewhere" / "pkg", "epsilon"),
    ):
        (where / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "1.0"\n', encoding="utf-8"
        )
    gamma = tmp_path / "opt" / "gamma-1.0.tar.gz"
    for path in (tmp_path / "wheels" / "beta-1.0-py3-none-any.whl", gamma):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"")  # every local path must exist before anything is built
    file = _requirements(
        project,
        "# top-level",
        "-e ../elsewhere/pkg",
        "beta @ file:../wheels/beta-1.0-py3-none-any.whl",
        "delta @ file:local/delta",
        f"gamma @ {gamma.as_uri()}",
        "# transitive",
    )
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    plan = plan_restore(
        Path("..") / "project" / "requirements.txt",
        RestoreOptions(venv=project / ".venv", python=sys.executable),
    )
    urls = {p.name: p.origin.url for p in plan.lock.packages}
    assert urls == {
        "beta": (tmp_path / "wheels" / "beta-1.0-py3-none-any.whl").as_uri(),
        "delta": (project / "local" / "delta").as_uri(),
        "epsilon": (tmp_path / "elsewhere" / "pkg").as_uri(),
        "gamma": gamma.as_uri(),
    }
    shown = os.path.join("..", "project", "requirements.txt")
    assert [n for n in plan.notes if "comes from" in n] == [
        f"{shown}:3: epsilon comes from {tmp_path / 'elsewhere' / 'pkg'}, outside {project}",
        f"{shown}:4: beta comes from {tmp_path / 'wheels' / 'beta-1.0-py3-none-any.whl'}, "
        f"outside {project}",
        f"{shown}:6: gamma comes from {gamma}, outside {project}",
    ]
    assert file.exists()


def test_symlink_inside_pointing_out_is_outside(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "solo-1.0-py3-none-any.whl").write_bytes(b"")
    (project / "link").symlink_to(tmp_path / "real")
    lock = project / "pylock.toml"
    lock.write_text(
        'lock-version = "1.0"\ncreated-by = "tests"\n\n[[packages]]\nname = "solo"\n'
        'version = "1.0"\nwheels = [{ path = "link/solo-1.0-py3-none-any.whl", '
        f'hashes = {{ sha256 = "{"a" * 64}" }} }}]\n',
        encoding="utf-8",
    )
    plan = plan_restore(lock, RestoreOptions(venv=project / ".venv", python=sys.executable))
    assert plan.notes == (
        f"{lock}:7: solo comes from {project / 'link' / 'solo-1.0-py3-none-any.whl'}, "
        f"outside {project}",
    )
    shutil.rmtree(tmp_path / "real")
