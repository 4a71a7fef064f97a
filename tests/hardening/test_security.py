"""Security: nothing of the target runs, and no credential is written or printed.

- A planted ``.pth`` and a ``sitecustomize.py`` in a real venv would each write
  a file when the venv's interpreter starts normally; freeze and check probe it
  with ``-I -S`` and read metadata from disk, so neither runs.
- A token placed in every place a URL comes from (``direct_url.json`` of an
  archive and a VCS install, a ``Requires-Dist`` URL, ``--index-url``,
  ``PIP_INDEX_URL``, ``~/.netrc``) never reaches a written file, stdout or stderr.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from hardening.corpus import assert_no_traceback, fake_target, invoke, site_packages
from support.fake_site import FakeSite
from support.venvs import clean_env, make_venv, run_envsnap

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "ghp_s3cr3tT0ken4envsnap"
PASSWORD = "hunter2-pw"


def _plant(site: Path, marker_dir: Path) -> tuple[Path, Path]:
    """Plant a .pth and a sitecustomize.py that each create a file when run."""
    pth_marker = marker_dir / "pth-ran"
    custom_marker = marker_dir / "sitecustomize-ran"
    (site / "zzz-evil.pth").write_text(
        f"import pathlib; pathlib.Path({str(pth_marker)!r}).write_text('ran')\n",
        encoding="utf-8",
    )
    (site / "sitecustomize.py").write_text(
        f"import pathlib\npathlib.Path({str(custom_marker)!r}).write_text('ran')\n",
        encoding="utf-8",
    )
    FakeSite(site)("planted", "1.0", requested=True)
    return pth_marker, custom_marker


@pytest.mark.integration
def test_planted_pth_and_sitecustomize_do_not_run(tmp_path: Path) -> None:
    python = make_venv(tmp_path / "venv")
    site = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    markers = tmp_path / "markers"
    markers.mkdir()
    pth_marker, custom_marker = _plant(site, markers)
    lock = tmp_path / "requirements.txt"
    frozen = run_envsnap("freeze", "-p", str(tmp_path / "venv"), "-o", str(lock), cwd=tmp_path)
    assert frozen.returncode == 0, frozen.stderr
    assert "planted==1.0" in lock.read_text(encoding="utf-8").splitlines()
    checked = run_envsnap("check", str(lock), "-p", str(python), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tree = run_envsnap("tree", "-p", str(python), cwd=tmp_path)
    assert tree.returncode == 0, tree.stderr
    assert not pth_marker.exists()
    assert not custom_marker.exists()
    # control: the plants are live, a normal start of that interpreter runs both
    subprocess.run([str(python), "-c", "pass"], env=clean_env(), check=True)
    assert pth_marker.read_text(encoding="utf-8") == "ran"
    assert custom_marker.read_text(encoding="utf-8") == "ran"


def _secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fake env whose every URL carries credentials."""
    venv = fake_target(monkeypatch, tmp_path)
    site = FakeSite(site_packages(venv))
    site(
        "arch",
        "1.0",
        f"vcsdep @ git+https://oauth2:{TOKEN}@git.example.invalid/vcsdep.git",
        requested=True,
        direct_url={
            "url": f"https://user:{TOKEN}@files.example.invalid/arch-1.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "ab" * 32}},
        },
    )
    site(
        "vcsdep",
        "2.0",
        direct_url={
            "url": f"https://oauth2:{TOKEN}@git.example.invalid/vcsdep.git",
            "vcs_info": {"vcs": "git", "commit_id": "c" * 40},
        },
    )
    return venv


def _assert_clean(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text
        assert PASSWORD not in text


@pytest.mark.parametrize("name", ["requirements.txt", "pylock.toml", "snapshot.json"])
def test_direct_url_credentials_never_written(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    venv = _secret_env(monkeypatch, tmp_path)
    out = tmp_path / name
    result = invoke("freeze", "-p", str(venv), "-o", str(out))
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    written = out.read_text(encoding="utf-8")
    _assert_clean(written, result.stdout, result.stderr)
    assert "files.example.invalid/arch-1.0.tar.gz" in written
    assert "git.example.invalid/vcsdep.git" in written
    assert "credentials removed" in result.stderr
    for command in (["check", str(out)], ["tree"], ["tree", "--format", "json"]):
        shown = invoke(*command, "-p", str(venv))
        assert_no_traceback(shown)
        _assert_clean(shown.stdout, shown.stderr)


def test_credentials_in_bad_requires_dist_are_redacted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An invalid ``Requires-Dist`` is quoted in the warning with its URL's password removed."""
    venv = fake_target(monkeypatch, tmp_path)
    FakeSite(site_packages(venv))(
        "leaky", "1.0", f"dep @ https://me:{PASSWORD}@files.example.invalid/dep.whl ; bad marker"
    )
    result = invoke("freeze", "-p", str(venv))
    assert_no_traceback(result)
    assert result.exit_code == 0
    assert "invalid Requires-Dist" in result.stderr
    _assert_clean(result.stdout, result.stderr)


@pytest.mark.parametrize("how", ["option", "environment", "netrc"])
def test_index_credentials_never_written(
    how: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    loopback_index: str,
) -> None:
    """``freeze --hashes`` and ``-o pylock.toml`` ask a (loopback) index holding a token."""
    venv = fake_target(monkeypatch, tmp_path)
    FakeSite(site_packages(venv))("gamma", "1.0", requested=True)
    secret_url = loopback_index.replace("http://", f"http://user:{TOKEN}@")
    env = {"PIP_CONFIG_FILE": "/dev/null", "PIP_INDEX_URL": "", "NETRC": ""}
    args: list[str] = []
    if how == "option":
        args = ["--index-url", secret_url]
    elif how == "environment":
        env["PIP_INDEX_URL"] = secret_url
    else:
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine 127.0.0.1 login user password {PASSWORD}\n", encoding="utf-8")
        netrc.chmod(0o600)
        env["NETRC"] = str(netrc)
        args = ["--index-url", loopback_index]
    for out in (tmp_path / "requirements.txt", tmp_path / "pylock.toml"):
        extra = ["--hashes"] if out.suffix == ".txt" else []
        result = invoke("freeze", "-p", str(venv), "-o", str(out), *extra, *args, env=env)
        assert_no_traceback(result)
        assert result.exit_code == 0, result.stderr
        written = out.read_text(encoding="utf-8")
        assert "sha256:" in written or "sha256 = " in written
        _assert_clean(written, result.stdout, result.stderr)


def test_requirements_index_option_credentials_not_printed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A hand-written file's ``--index-url`` with a token: check's output never shows it."""
    venv = fake_target(monkeypatch, tmp_path)
    FakeSite(site_packages(venv))("alpha", "1.0", requested=True)
    req = tmp_path / "requirements.txt"
    req.write_text(
        f"--index-url https://user:{TOKEN}@index.example.invalid/simple/\n"
        f"alpha @ https://user:{TOKEN}@files.example.invalid/alpha-1.0.tar.gz\n",
        encoding="utf-8",
    )
    for args in (["check", str(req)], ["check", str(req), "--format", "json"]):
        result = invoke(*args, "-p", str(venv))
        assert_no_traceback(result)
        assert result.exit_code == 1  # alpha is from the index here, not that URL
        _assert_clean(result.stdout, result.stderr)


def test_probe_is_isolated() -> None:
    """The probe command line itself: ``-I -S`` (no site, no user site, no PYTHON* vars)."""
    import envsnap.environment.process as bounded  # noqa: PLC0415
    import envsnap.environment.target as environment  # noqa: PLC0415

    calls: list[list[str]] = []
    real_run = subprocess.Popen

    def spy(cmd: list[str], **kwargs: object) -> object:
        calls.append(cmd)
        env = kwargs.get("env")
        assert isinstance(env, dict)
        assert not [k for k in env if k.startswith("PYTHON")]
        return real_run(cmd, **kwargs)  # type: ignore[call-overload]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONSTARTUP", "/nonexistent/startup.py")
        patch.setattr(bounded.subprocess, "Popen", spy)
        environment.probe(environment.Path(sys.executable))
    assert calls[0][1:3] == ["-I", "-S"]
