"""Restore on uv, on real venvs: round trip, uv's cache, link modes, and download faults.

Every test runs offline against loopback servers; ``UV_CACHE_DIR`` points
into the test's directory (an installer variable envsnap passes on).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from typing import TYPE_CHECKING

import pytest

from support.index import serve_index
from support.venvs import make_venv, pip_freeze, pip_install, run_envsnap
from support.wheels import build_wheel

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

PY = "{}.{}.{}".format(*sys.version_info[:3])


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """uv's cache for this test (run_envsnap passes os.environ on; envsnap keeps UV_CACHE_DIR)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(root))
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def write_lock(path: Path, files: list[tuple[str, str, str, str]]) -> Path:
    """A pylock file of ``(name, version, url, sha256)`` wheels."""
    lines = ['lock-version = "1.0"', 'created-by = "tests"', ""]
    for name, version, url, digest in files:
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}]',
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_solo(path: Path) -> None:
    """envsnap's requirements file pinning the one package ``solo``: the whole closure."""
    path.write_text(
        f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 1 top-level, 0 transitive\n"
        "# top-level\nsolo==1.0\n# transitive\n",
        encoding="utf-8",
    )


def files_url(index_url: str, wheel: Path) -> str:
    return f"{index_url.removesuffix('simple/')}files/{wheel.name}"


def test_round_trip_then_a_second_restore_downloads_nothing(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    source = make_venv(tmp_path / "source")
    pip_install(source, "alpha", "delta[fast]", "Mixed.Case_Name", find_links=wheelhouse)
    frozen = run_envsnap("freeze", "-p", "source", "-o", "requirements.txt", cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    log: list[str] = []
    with serve_index(wheelhouse, log=log) as url:
        first = run_envsnap("restore", "--venv", "one", "--index-url", url, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        downloads = sorted(p for p in log if p.startswith("/files/"))
        # pip alone is put in: not setuptools, wheel and wheel's packaging (uv's --seed
        # before Python 3.12), which the file does not list
        assert [d for d in downloads if not d.startswith("/files/pip-")] == [
            "/files/alpha-1.0-py3-none-any.whl",
            "/files/beta-1.0-py3-none-any.whl",
            "/files/delta-2.0-py3-none-any.whl",
            "/files/epsilon-1.0-py3-none-any.whl",
            "/files/gamma-1.0-py3-none-any.whl",
            "/files/mixed_case_name-0.5-py3-none-any.whl",
        ]
        log.clear()
        second = run_envsnap(
            "restore", "--venv", "two", "--without-pip", "--index-url", url, cwd=tmp_path
        )
        assert second.returncode == 0, second.stderr
        assert [p for p in log if p.startswith("/files/")] == []  # uv's cache
    original = (tmp_path / "requirements.txt").read_text(encoding="utf-8")
    for name in ("one", "two"):
        again = run_envsnap("freeze", "-p", name, cwd=tmp_path)
        assert again.stdout == original
        assert pip_freeze(tmp_path / name / "bin" / "python") == pip_freeze(source)
    site = next((tmp_path / "one" / "lib").glob("python*/site-packages"))
    assert (site / "alpha-1.0.dist-info" / "INSTALLER").read_text(encoding="utf-8") == "uv"
    assert (site / "alpha-1.0.dist-info" / "REQUESTED").read_bytes() == b"envsnap\n"
    assert (site / "beta-1.0.dist-info" / "REQUESTED").read_bytes() == b""  # uv's: no signal
    assert (site / "pip").is_dir()
    assert not [p.name for p in site.glob("*.dist-info") if p.name.startswith(("wheel", "pack"))]
    assert not (next((tmp_path / "two" / "lib").glob("python*/site-packages")) / "pip").exists()
    assert not list(site.glob("alpha/__pycache__"))  # no bytecode without --compile


@pytest.mark.parametrize(("mode", "shared"), [("copy", False), ("hardlink", True)])
def test_link_mode_says_whether_an_edit_reaches_the_next_venv(
    tmp_path: Path, wheelhouse: Path, cache: Path, mode: str, *, shared: bool
) -> None:
    """uv links files from its cache: with hard links an edit in place is in every venv."""
    write_solo(tmp_path / "requirements.txt")
    args = ("--without-pip", "--link-mode", mode, "--no-index", "--find-links", str(wheelhouse))
    first = run_envsnap("restore", "--venv", "one", *args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    module = next((tmp_path / "one" / "lib").glob("python*/site-packages")) / "solo"
    pristine = (module / "__init__.py").read_bytes()
    with (module / "__init__.py").open("ab") as handle:  # in place: a hard link shares it
        handle.write(b"# edited\n")
    second = run_envsnap("restore", "--venv", "two", *args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    again = next((tmp_path / "two" / "lib").glob("python*/site-packages")) / "solo"
    edited = pristine + b"# edited\n"
    assert (again / "__init__.py").read_bytes() == (edited if shared else pristine)


def test_compile_and_no_cache(tmp_path: Path, wheelhouse: Path, cache: Path) -> None:
    write_solo(tmp_path / "requirements.txt")
    done = run_envsnap(
        "restore",
        "--without-pip",
        "--no-cache",
        "--compile",
        "-q",
        "--no-index",
        "--find-links",
        str(wheelhouse),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    site = next((tmp_path / ".venv" / "lib").glob("python*/site-packages"))
    assert [p.name.split(".")[0] for p in (site / "solo" / "__pycache__").iterdir()] == ["__init__"]
    assert not cache.exists()


def test_hash_mismatch_on_download_installs_nothing(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    old = make_venv(tmp_path / ".venv")
    before = tree(tmp_path / ".venv")
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    gamma = next(wheelhouse.glob("gamma-1.0-*.whl"))
    with serve_index(wheelhouse) as url:
        write_lock(
            tmp_path / "pylock.toml",
            [
                ("gamma", "1.0", files_url(url, gamma), sha(gamma)),
                ("solo", "1.0", files_url(url, solo), "0" * 64),
            ],
        )
        done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    assert "  |   cause: Hash mismatch for `solo==1.0`" in done.stderr.splitlines()
    assert done.stderr.splitlines()[-1] == (
        "hint: a downloaded file does not match the hash in the lock file: the file or the "
        "index changed; nothing was replaced"
    )
    assert tree(tmp_path / ".venv") == before
    assert old.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [
        ".venv",
        "pylock.toml",
    ]


def test_index_down_and_404_for_one_file(tmp_path: Path, wheelhouse: Path, cache: Path) -> None:
    solo = next(wheelhouse.glob("solo-1.0-*.whl"))
    gamma = next(wheelhouse.glob("gamma-1.0-*.whl"))
    missing = f"/files/{solo.name}"
    with serve_index(wheelhouse, status_override={missing: 404}) as url:
        lock = write_lock(
            tmp_path / "pylock.toml",
            [
                ("gamma", "1.0", files_url(url, gamma), sha(gamma)),
                ("solo", "1.0", files_url(url, solo), sha(solo)),
            ],
        )
        done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: uv could not install {lock} (exit 1)"]
    assert "404 Not Found" in done.stderr
    assert not (tmp_path / ".venv").exists()
    # the server is gone now: nothing answers at that address; pip's retries setting
    # reaches uv (UV_HTTP_RETRIES), and with none uv does not back off for 10 s first
    done = run_envsnap(
        "restore", "--without-pip", "--no-cache", cwd=tmp_path, env={"PIP_RETRIES": "0"}
    )
    assert done.returncode == 3, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: uv could not install {lock} (exit 2)"]
    assert "Connection refused" in done.stderr
    assert "retries" not in done.stderr
    assert not (tmp_path / ".venv").exists()


def test_an_sdist_is_built_by_uv_with_the_rest(
    tmp_path: Path, wheelhouse: Path, cache: Path
) -> None:
    text = (
        f"# envsnap 0.1.0 freeze - CPython {PY}, linux x86_64 - 2 top-level, 0 transitive\n"
        "# top-level\nkappa==1.0\nsolo==1.0\n# transitive\n"
    )
    (tmp_path / "requirements.txt").write_text(text, encoding="utf-8")
    done = run_envsnap(
        "restore", "--without-pip", "--no-index", "--find-links", str(wheelhouse), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "install: 2 packages with uv" in done.stderr
    assert run_envsnap("freeze", "-p", ".venv", cwd=tmp_path).stdout == text
    site = next((tmp_path / ".venv" / "lib").glob("python*/site-packages"))
    installers = {
        p.parent.name: p.read_text(encoding="utf-8").strip() for p in site.glob("*/INSTALLER")
    }
    assert installers == {"kappa-1.0.dist-info": "uv", "solo-1.0.dist-info": "uv"}


def test_the_pip_put_in_is_one_the_venvs_python_supports(tmp_path: Path, wheelhouse: Path) -> None:
    """A find-links directory tells no Requires-Python: the pip chosen must still run there.

    uv skips Requires-Python under ``--no-deps`` (it chose a pip for Python >= 3.10 on 3.9 from
    a page that did not say so), so pip is installed without it.
    """
    links = tmp_path / "links"
    shutil.copytree(wheelhouse, links)
    build_wheel(links, "pip", "99.0", requires_python=">=3.99")  # the newest, for no Python here
    write_solo(tmp_path / "requirements.txt")
    done = run_envsnap(
        "restore", "--venv", "v", "--no-index", "--find-links", str(links), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    site = next((tmp_path / "v" / "lib").glob("python*/site-packages"))
    (pip,) = site.glob("pip-*.dist-info")
    assert pip.name != "pip-99.0.dist-info"


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_file_named_from_another_directory_reaches_the_installer(
    tmp_path: Path, wheelhouse: Path, installer: str
) -> None:
    """``restore sub/requirements.in``: the installer runs in ``sub/``, and still finds the file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "requirements.in").write_text("solo\n", encoding="utf-8")
    done = run_envsnap(
        *("restore", "sub/requirements.in", "--venv", "v", "--installer", installer),
        *("--no-index", "--find-links", str(wheelhouse)),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert pip_freeze(tmp_path / "v" / "bin" / "python") == ["solo==1.0"]
