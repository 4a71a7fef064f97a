"""pylock.toml on real venvs: envsnap writes it from a loopback index or a wheelhouse,
pip (>= 26) and uv install it, envsnap reads what pip and uv write.

Every subprocess runs with ``support.venvs.clean_env`` (no PIP_*/UV_* variable,
``PIP_CONFIG_FILE=os.devnull``); no test leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.pylock import Pylock

from envsnap.lockfiles.pylock.read import load
from support.index import serve_index
from support.venvs import clean_env, make_venv, pip_freeze, pip_install, run_envsnap, venv_root
from support.wheels import file_sha256

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomlkit as tomllib

# one xdist worker runs the module: its module-scoped venvs are built once, not per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("pylock-interop")]

FROZEN = ["alpha==1.0", "beta==1.0", "gamma==1.0", "solo==1.0"]


def head(venv: Path) -> str:
    """What freeze says on stderr before anything else: its target and its decision."""
    version = ".".join(map(str, sys.version_info[:3]))
    return (
        f"Using environment at: {venv} (Python {version})\n"
        "top-level: 2 (2 requested); extras inferred: none\n"
    )


@pytest.fixture(scope="module")
def source_venv(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    """A venv holding alpha -> beta -> gamma and solo, installed offline; its directory."""
    python = make_venv(tmp_path_factory.mktemp("pylock-src") / "venv")
    pip_install(python, "alpha", "solo", find_links=wheelhouse)
    assert pip_freeze(python) == FROZEN
    return venv_root(python)


@pytest.fixture(scope="module")
def frozen(
    tmp_path_factory: pytest.TempPathFactory, source_venv: Path, loopback_index: str
) -> Path:
    """``envsnap freeze -o pylock.toml --index-url LOOPBACK`` of the source venv."""
    out = tmp_path_factory.mktemp("pylock-out") / "pylock.toml"
    done = run_envsnap(
        "freeze", "-p", str(source_venv), "-o", str(out), "--index-url", loopback_index
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "",
        f"{head(source_venv)}wrote {out}: 2 top-level, 2 transitive\n",
    )
    return out


def test_freeze_writes_a_valid_lock_with_index_urls(
    frozen: Path, loopback_index: str, wheelhouse: Path
) -> None:
    lock = Pylock.from_dict(tomllib.loads(frozen.read_text(encoding="utf-8")))
    base = loopback_index.removesuffix("simple/")
    assert [(p.name, str(p.version), p.index) for p in lock.packages] == [
        (name, "1.0", loopback_index.rstrip("/")) for name in ("alpha", "beta", "gamma", "solo")
    ]
    for package in lock.packages:
        assert package.sdist is None
        assert [(w.url, w.hashes) for w in package.wheels or ()] == [
            (
                f"{base}files/{package.name}-1.0-py3-none-any.whl",
                {"sha256": file_sha256(wheelhouse / f"{package.name}-1.0-py3-none-any.whl")},
            )
        ]
    assert [p.dependencies for p in lock.packages] == [
        [{"name": "beta"}],
        [{"name": "gamma"}],
        None,
        None,
    ]
    assert lock.tool == {
        "envsnap": {
            "python-version": ".".join(map(str, sys.version_info[:3])),
            "top-level": ["alpha", "solo"],
            "reasons": {
                "alpha": "requested",
                "beta": "via alpha",
                "gamma": "via beta",
                "solo": "requested",
            },
        }
    }


def test_html_only_index_gives_the_same_file(
    frozen: Path, source_venv: Path, wheelhouse: Path, loopback_index: str, tmp_path: Path
) -> None:
    out = tmp_path / "pylock.toml"
    with serve_index(wheelhouse, json=False) as url:
        done = run_envsnap("freeze", "-p", str(source_venv), "-o", str(out), "--index-url", url)
    assert done.returncode == 0, done.stderr
    # the same wheelhouse behind another port: only the URLs differ
    expected = frozen.read_text(encoding="utf-8").replace(
        loopback_index.removesuffix("simple/"), url.removesuffix("simple/")
    )
    assert out.read_text(encoding="utf-8") == expected


def test_pip_installs_it(frozen: Path, tmp_path: Path) -> None:
    target = make_venv(tmp_path / "target")
    cmd = [sys.executable, "-m", "pip", "--python", str(target), "install", "-r", str(frozen)]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pip_freeze(target) == FROZEN


def test_uv_installs_it(frozen: Path, tmp_path: Path) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    target = make_venv(tmp_path / "target")
    cmd = [uv, "pip", "install", "--python", str(target), "-r", str(frozen)]
    done = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pip_freeze(target) == FROZEN


def test_wheelhouse_lock_installs_offline(
    source_venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lock" / "pylock.toml"
    out.parent.mkdir()
    done = run_envsnap(
        "freeze", "-p", str(source_venv), "-o", str(out), "--find-links", str(wheelhouse)
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "index = " not in text
    relative = Path(os.path.relpath(wheelhouse, out.parent)).as_posix()
    assert f'path = "{relative}/alpha-1.0-py3-none-any.whl"' in text
    target = make_venv(tmp_path / "target")
    cmd = [sys.executable, "-m", "pip", "--python", str(target), "install", "--no-index"]
    done2 = subprocess.run(
        [*cmd, "-r", str(out)], env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done2.returncode == 0, done2.stdout + done2.stderr
    assert pip_freeze(target) == FROZEN


def test_index_down_is_exit_3_and_writes_nothing(source_venv: Path, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "pylock.toml"
    done = run_envsnap(
        "freeze",
        "-p",
        str(source_venv),
        "-o",
        str(out),
        "--index-url",
        f"http://127.0.0.1:{port}/simple/",
    )
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr == head(source_venv) + (
        f"error: cannot reach http://127.0.0.1:{port}/ (Connection refused; 3 attempts)\n"
        "hint: check the index URL and your network, or use a local wheelhouse: "
        "pip download -d DIR -r requirements.txt, then --find-links DIR\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_no_hash_source_is_exit_3(source_venv: Path, tmp_path: Path) -> None:
    """Only --no-index leaves no hash source (without it pip's default index is one)."""
    done = run_envsnap(
        "freeze", "-p", str(source_venv), "-o", str(tmp_path / "pylock.toml"), "--no-index"
    )
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.splitlines() == [
        *head(source_venv).splitlines(),
        "error: pylock.toml needs the file hashes of 4 index packages and no hash source is set",
        "hint: name the index you install from with --index-url URL (or PIP_INDEX_URL), "
        "or a wheelhouse with --find-links DIR (pip download -d DIR -r requirements.txt)",
    ]
    assert list(tmp_path.iterdir()) == []


def test_project_missing_from_index_is_named(
    source_venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    with serve_index(wheelhouse, status_override={"/simple/gamma/": 404}) as url:
        done = run_envsnap(
            "freeze",
            "-p",
            str(source_venv),
            "-o",
            str(tmp_path / "pylock.toml"),
            "--index-url",
            url,
        )
    assert (done.returncode, done.stdout) == (3, "")
    assert done.stderr.splitlines()[2] == (
        f"error: 1 package not found in the index at {url.rstrip('/')}: gamma==1.0"
    )


def test_requirements_with_hashes_install_in_hash_checking_mode(
    source_venv: Path, loopback_index: str, wheelhouse: Path, tmp_path: Path
) -> None:
    out = tmp_path / "requirements.txt"
    done = run_envsnap(
        "freeze",
        "-p",
        str(source_venv),
        "-o",
        str(out),
        "--hashes",
        "--index-url",
        loopback_index,
    )
    assert done.returncode == 0, done.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [
        "# top-level",
        "alpha==1.0 \\",
        f"    --hash=sha256:{file_sha256(wheelhouse / 'alpha-1.0-py3-none-any.whl')}",
        "solo==1.0 \\",
        f"    --hash=sha256:{file_sha256(wheelhouse / 'solo-1.0-py3-none-any.whl')}",
        "# transitive",
        "beta==1.0 \\",
        f"    --hash=sha256:{file_sha256(wheelhouse / 'beta-1.0-py3-none-any.whl')}",
        "    # via alpha",
        "gamma==1.0 \\",
        f"    --hash=sha256:{file_sha256(wheelhouse / 'gamma-1.0-py3-none-any.whl')}",
        "    # via beta",
    ]
    target = make_venv(tmp_path / "target")
    pip_install(target, "--require-hashes", "-r", str(out), find_links=wheelhouse)
    assert pip_freeze(target) == FROZEN


def test_reads_what_pip_lock_and_uv_write(loopback_index: str, tmp_path: Path) -> None:
    pip_out = tmp_path / "pylock.toml"
    uv_out = tmp_path / "pylock.uv.toml"
    (tmp_path / "requirements.in").write_text("alpha\nsolo\n", encoding="utf-8")
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    for cmd in (
        [
            sys.executable,
            "-m",
            "pip",
            "lock",
            "--index-url",
            loopback_index,
            "alpha",
            "solo",
            "-o",
            str(pip_out),
        ],
        [
            uv,
            "pip",
            "compile",
            "--format",
            "pylock.toml",
            "--index-url",
            loopback_index,
            "requirements.in",
            "-o",
            str(uv_out),
        ],
    ):
        done = subprocess.run(
            cmd, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
    for path in (pip_out, uv_out):
        lock = load(path)
        assert [f"{p.name}=={p.version}" for p in lock.packages] == FROZEN
        assert all(len(p.hashes) == 1 and p.origin.kind == "index" for p in lock.packages)
        assert not lock.written_by_envsnap


def test_index_credentials_are_used_but_never_written(
    source_venv: Path, loopback_index: str, tmp_path: Path
) -> None:
    out = tmp_path / "pylock.toml"
    with_credentials = loopback_index.replace("http://", "http://alice:t0ken@")
    done = run_envsnap(
        "freeze", "-p", str(source_venv), "-o", str(out), "--index-url", with_credentials
    )
    assert (done.returncode, done.stderr) == (
        0,
        head(source_venv) + "note: index credentials are used for requests, never written\n"
        f"wrote {out}: 2 top-level, 2 transitive\n",
    )
    text = out.read_text(encoding="utf-8")
    assert "alice" not in text
    assert "t0ken" not in text
    assert f'index = "{loopback_index.rstrip("/")}"' in text


def test_hashes_do_not_apply_to_json(source_venv: Path, wheelhouse: Path) -> None:
    done = run_envsnap(
        "freeze",
        "-p",
        str(source_venv),
        "--format",
        "json",
        "--hashes",
        "--find-links",
        str(wheelhouse),
    )
    assert (done.returncode, done.stdout) == (2, "")  # a usage error, before the env is read
    assert done.stderr.endswith(
        "\nError: --hashes and --format json cannot be used together: "
        "--hashes adds hashes to requirements.txt\n"
    )
