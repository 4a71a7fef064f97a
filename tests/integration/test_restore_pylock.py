"""Restoring pylock.toml files from the files they record (envsnap's, pip's, uv's; offline)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from support.index import serve_index
from support.venvs import make_venv, pip_freeze, pip_install, run_envsnap

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "pylock"


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """envsnap's cache for this test (run_envsnap passes os.environ on)."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ENVSNAP_CACHE_DIR", str(root))
    return root


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_envsnap_pylock_from_an_index_and_from_a_wheelhouse(
    tmp_path: Path, wheelhouse: Path
) -> None:
    source = make_venv(tmp_path / "source")
    pip_install(source, "alpha", "solo", "Mixed.Case_Name", find_links=wheelhouse)
    requirements = run_envsnap("freeze", "-p", "source", cwd=tmp_path).stdout
    log: list[str] = []
    with serve_index(wheelhouse, log=log) as url:
        frozen = run_envsnap(
            "freeze", "-p", "source", "-o", "pylock.toml", "--index-url", url, cwd=tmp_path
        )
        assert frozen.returncode == 0, frozen.stderr
        assert f'url = "{url.removesuffix("simple/")}files/alpha-1.0-py3-none-any.whl"' in (
            (tmp_path / "pylock.toml").read_text(encoding="utf-8")
        )
        log.clear()
        done = run_envsnap("restore", "--venv", "new", "--without-pip", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        # only the recorded file URLs were read: no index page
        assert sorted(log) == [
            "/files/alpha-1.0-py3-none-any.whl",
            "/files/beta-1.0-py3-none-any.whl",
            "/files/gamma-1.0-py3-none-any.whl",
            "/files/mixed_case_name-0.5-py3-none-any.whl",
            "/files/solo-1.0-py3-none-any.whl",
        ]
    assert "install: 5 packages of pylock.toml with uv" in done.stderr
    assert run_envsnap("freeze", "-p", "new", cwd=tmp_path).stdout == requirements
    assert pip_freeze(tmp_path / "new" / "bin" / "python") == pip_freeze(source)

    # a lock next to its wheelhouse records relative paths: restore from there
    project = tmp_path / "project"
    shutil.copytree(wheelhouse, project / "wheels")
    frozen = run_envsnap(
        "freeze", "-p", str(source), "-o", "pylock.toml", "--find-links", "wheels", cwd=project
    )
    assert frozen.returncode == 0, frozen.stderr
    assert 'path = "wheels/alpha-1.0-py3-none-any.whl"' in (project / "pylock.toml").read_text(
        encoding="utf-8"
    )
    done = run_envsnap("restore", "--without-pip", "--no-cache", cwd=project)
    assert done.returncode == 0, done.stderr
    assert run_envsnap("freeze", "-p", ".venv", cwd=project).stdout == requirements


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("pip-lock.toml", ["alpha==1.0", "beta==1.0", "gamma==1.0"]),
        ("uv-lock.toml", ["alpha==1.0", "beta==1.0", "eta==1.0", "gamma==1.0"]),
    ],
)
def test_pip_and_uv_locks(
    tmp_path: Path, wheelhouse: Path, fixture: str, expected: list[str]
) -> None:
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    with serve_index(wheelhouse) as url:
        files = url.removesuffix("simple/") + "files/"
        (tmp_path / "pylock.toml").write_text(
            text.replace("https://index.example/files/", files), encoding="utf-8"
        )
        done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert pip_freeze(tmp_path / ".venv" / "bin" / "python") == expected


def test_lock_extras_and_groups(tmp_path: Path, wheelhouse: Path) -> None:
    entries = []
    for name, version, marker in [
        ("delta", "2.0", None),
        ("epsilon", "1.0", "'fast' in extras"),
        ("solo", "1.0", "'dev' in dependency_groups"),
    ]:
        wheel = next(wheelhouse.glob(f"{name}-{version}-*.whl"))
        entries += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            *([f'marker = "{marker}"'] if marker else []),
            f'wheels = [{{ path = "{wheel}", hashes = {{ sha256 = "{sha(wheel)}" }} }}]',
            "",
        ]
    header = [
        'lock-version = "1.0"',
        'extras = ["fast"]',
        'dependency-groups = ["dev"]',
        "default-groups = []",
        'created-by = "tests"',
        "",
    ]
    (tmp_path / "pylock.toml").write_text("\n".join(header + entries), encoding="utf-8")
    done = run_envsnap("restore", "--without-pip", "--venv", "plain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert pip_freeze(tmp_path / "plain" / "bin" / "python") == ["delta==2.0"]
    done = run_envsnap(
        "restore",
        "--without-pip",
        "--extra",
        "fast",
        "--group",
        "dev",
        "--venv",
        "all",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert pip_freeze(tmp_path / "all" / "bin" / "python") == [
        "delta==2.0",
        "epsilon==1.0",
        "solo==1.0",
    ]
    done = run_envsnap(
        "restore", "--installer", "pip", "--extra", "fast", "--venv", "x", cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: --extra and --group select parts of a pylock file, which uv installs",
        "hint: drop them, or restore with --installer uv",
    ]


def test_a_lock_that_records_no_top_level_keeps_its_roots_named(
    tmp_path: Path, wheelhouse: Path
) -> None:
    # `pip lock delta epsilon` records neither: restore marks what nothing requires as
    # requested, so the next freeze keeps epsilon top-level instead of explaining it by
    # delta[fast] (issue 22), and the lock's chain stays transitive
    entries = []
    for name in ("alpha", "beta", "delta", "epsilon", "gamma"):
        wheel = next(wheelhouse.glob(f"{name}-*.whl"))
        version = wheel.name.split("-")[1]
        entries += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ path = "{wheel}", hashes = {{ sha256 = "{sha(wheel)}" }} }}]',
            "",
        ]
    header = ['lock-version = "1.0"', 'created-by = "pip"', ""]
    (tmp_path / "pylock.toml").write_text("\n".join(header + entries), encoding="utf-8")
    done = run_envsnap("restore", "--without-pip", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    frozen = run_envsnap("freeze", "-p", ".venv", "-q", "--top-level-only", cwd=tmp_path)
    assert frozen.stdout.splitlines()[1:] == [
        "# top-level",
        "alpha==1.0",
        "delta==2.0",
        "epsilon==1.0",
    ]
