"""``envsnap check``, ``diff`` and ``tree`` through the CLI: output and exit codes.

The target is a real (stdlib, pip-less) venv whose site-packages is filled
with fake ``*.dist-info`` trees, so the probe is real and no install is needed.
"""

from __future__ import annotations

import json
import sys
import venv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsnap.cli import cli
from support.fake_site import FakeSite

HEADER = "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 1 top-level, 1 transitive\n"
LOCK = HEADER + (
    "# top-level\nrequests==2.32.3\n# transitive\nurllib3==2.2.3\n    # via requests\n"
)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    """A venv at tmp_path/.venv with requests 2.32.3 -> urllib3 2.2.3; cwd = tmp_path."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(tmp_path / ".venv")
    (site_dir,) = (tmp_path / ".venv").glob("lib/python*/site-packages")
    site = FakeSite(site_dir)
    site("requests", "2.32.3", "urllib3>=2", requested=True)
    site("urllib3", "2.2.3")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.delenv("ENVSNAP_PYTHON", raising=False)
    monkeypatch.delenv("ENVSNAP_REPORT_FORMAT", raising=False)
    (tmp_path / "requirements.txt").write_text(LOCK, encoding="utf-8")
    return site


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def venv_label() -> str:
    return f"env {Path.cwd() / '.venv'}"


def test_clean_exit_0(env: FakeSite) -> None:
    result = run("check")
    version = ".".join(map(str, sys.version_info[:3]))
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        f"OK requirements.txt matches {venv_label()} (2 packages)\n",
        f"Using environment at: .venv (Python {version})\n",
    )
    quiet = run("check", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, result.stdout, "")


def test_drift_kinds_exit_1(env: FakeSite) -> None:
    (env.root / "urllib3-2.2.3.dist-info").rename(env.root / "gone")
    env("urllib3", "1.26.20")
    env("rich", "13.9.4", requested=True)
    result = run("check", "requirements.txt")
    label = venv_label()
    assert result.exit_code == 1
    assert result.stdout == (
        "extra (1):\n"
        f"  rich==13.9.4 is in {label} but not in requirements.txt\n"
        "version changed (1):\n"
        f"  urllib3: requirements.txt has 2.2.3, {label} has 1.26.20  (line 5)\n"
        "broken requirements (1):\n"
        "  requests requires urllib3>=2; 1.26.20 is installed  (line 3)\n"
        f"drift: 1 extra, 1 changed, 1 broken (requirements.txt vs {label})\n"
    )
    assert (
        run("check", "--allow-extra", "--ignore", "urllib3", "--ignore", "requests").exit_code == 0
    )


def test_missing_and_source_changed(env: FakeSite) -> None:
    (env.root / "urllib3-2.2.3.dist-info").rename(env.root / "gone")
    (env.root / "requests-2.32.3.dist-info").rename(env.root / "gone2")
    env(
        "requests",
        "2.32.3",
        direct_url={"url": "file:///src/requests", "dir_info": {"editable": True}},
    )
    result = run("check", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"::error file=requirements.txt,line=5,title=envsnap%3A missing::urllib3==2.2.3 is in "
        f"requirements.txt but not in {venv_label()}",
        "::error file=requirements.txt,line=3,title=envsnap%3A source changed::requests: from an "
        "index in one, editable directory in the other: requirements.txt has index, "
        f"{venv_label()} has editable file:///src/requests",
    ]


def test_json_format(env: FakeSite) -> None:
    env("rich", "13.9.4")
    data = json.loads(run("check", "--format", "json").stdout)
    assert data["schema"] == "envsnap.report/1"
    assert data["drift"] is True
    assert data["changes"] == [
        {
            "kind": "extra",
            "package": "rich",
            "expected": None,
            "found": "rich==13.9.4",
            "detail": None,
            "file": "requirements.txt",
            "line": None,
            "drift": True,
            "message": f"rich==13.9.4 is in {venv_label()} but not in requirements.txt",
        }
    ]


def test_verbose_shows_reclassified(env: FakeSite) -> None:
    (env.root / "urllib3-2.2.3.dist-info" / "REQUESTED").touch()
    (env.root / "requests-2.32.3.dist-info").rename(env.root / "gone")
    env("requests", "2.32.3", "urllib3>=2")
    # requests is now a root, urllib3 now requested: both stay top-level / change class
    quiet = run("check")
    assert quiet.exit_code == 0
    loud = run("check", "-v")
    assert loud.exit_code == 0
    assert loud.stdout.splitlines()[:2] == [
        "reclassified (not drift) (1):",
        f"  urllib3: transitive (via requests) in requirements.txt, top-level (requested) in "
        f"{venv_label()}  (line 5)",
    ]


def test_project_checks_and_no_env(env: FakeSite, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "me"\nversion = "1"\n'
        'dependencies = ["requests>=3", "httpx"]\n'
        '[dependency-groups]\ntest = ["pytest"]\n',
        encoding="utf-8",
    )
    result = run("check", "--no-env", "--group", "test")
    assert result.exit_code == 1
    assert result.stdout == (
        "declared but not locked (2):\n"
        # side a is pyproject.toml here (--no-env): its lines bare, the lock's with its name
        "  httpx is declared in [dependencies] but not in the lock  (line 4)\n"
        "  pytest is declared in [dependency-groups.test] but not in the lock  (line 6)\n"
        "locked outside the declared specifier (1):\n"
        f"  requests==2.32.3 is locked, outside requests>=3 (declared in [dependencies])"
        f"  (requirements.txt, line 3)\n"
        f"drift: 2 missing-declared, 1 outside-specifier ({tmp_path / 'pyproject.toml'} vs "
        "requirements.txt)\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "me"\nversion = "1"\ndependencies = ["urllib3"]\n', encoding="utf-8"
    )
    # requests is top-level, not declared: installed by hand, never declared, not stale
    assert run("check").exit_code == 0
    (env.root / "requests-2.32.3.dist-info" / "REQUESTED").unlink()
    assert run("check", "--no-env").exit_code == 0
    # a lock that records requests as declared: the project dropped it
    declared = LOCK.replace("requests==2.32.3\n", "requests==2.32.3\n    # declared\n")
    Path("requirements.txt").write_text(declared, encoding="utf-8")
    stale = run("check", "--no-env")
    assert stale.exit_code == 1
    assert stale.stdout == (
        "stale (top-level, no longer declared) (1):\n"
        "  requests==2.32.3 is no longer declared in pyproject.toml (the lock records it as "
        "declared)  (requirements.txt, line 3)\n"
        f"drift: 1 stale ({tmp_path / 'pyproject.toml'} vs requirements.txt)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "nope.txt"], "error: nope.txt: no such file\n"),
        (["check", "--no-env"], "error: no pyproject.toml in the current directory\n"),
        (["check", "-p", "/nonexistent/venv"], "error: "),
        (
            ["diff", "requirements.txt", "missing.txt"],
            "error: missing.txt: no such file or directory\n",
        ),
        (["tree", "-q", "--package", "nope"], "error: nope is not installed in "),
    ],
)
def test_unusable_input_exit_2(env: FakeSite, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_no_default_file_exit_2(env: FakeSite) -> None:
    Path("requirements.txt").unlink()
    result = run("check")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no lock file: neither pylock.toml nor requirements.txt")
    assert "hint: name the file (envsnap check FILE)" in result.stderr
    assert "hint: name the file (envsnap check FILE)" in result.stderr


def test_unreadable_installed_file_exit_3(env: FakeSite) -> None:
    info = env.root / "urllib3-2.2.3.dist-info"
    (info / "RECORD").write_text("urllib3/__init__.py,sha256=abc,3\n", encoding="utf-8")
    (env.root / "urllib3" / "__init__.py").mkdir(parents=True)
    result = run("check", "--verify-files", "-q")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: ")
    assert "cannot read" in result.stderr


def test_diff_files(env: FakeSite, tmp_path: Path) -> None:
    new = LOCK.replace("urllib3==2.2.3", "urllib3==2.3.0")
    Path("new.txt").write_text(new, encoding="utf-8")
    assert run("diff", "requirements.txt", "requirements.txt").stdout == (
        "OK requirements.txt matches requirements.txt (2 packages)\n"
    )
    result = run("diff", "requirements.txt", "new.txt")
    assert (result.exit_code, result.stdout) == (
        1,
        "version changed (1):\n"
        "  urllib3: requirements.txt has 2.2.3, new.txt has 2.3.0  (line 5)\n"
        "drift: 1 changed (requirements.txt vs new.txt)\n",
    )
    env_side = run("diff", "requirements.txt", ".venv")
    assert (env_side.exit_code, env_side.stdout) == (
        0,
        f"OK requirements.txt matches {venv_label()} (2 packages)\n",
    )


def test_tree_formats(env: FakeSite) -> None:
    assert run("tree").stdout == ("requests==2.32.3\n└── urllib3==2.2.3 [required: >=2]\n")
    assert run("tree", "--reverse").stdout == (
        "urllib3==2.2.3\n└── requests==2.32.3 [requires: >=2]\n"
    )
    assert json.loads(run("tree", "--format", "json").stdout)["schema"] == "envsnap.tree/1"
    assert run("tree", "--format", "mermaid").stdout.startswith("flowchart LR\n")
    assert run("tree", "--format", "dot").stdout.endswith(
        '"requests" -> "urllib3" [label=">=2"];\n}\n'
    )


def test_invalid_lock_exit_2(env: FakeSite) -> None:
    Path("pylock.toml").write_text("lock-version = [\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: pylock.toml")


def test_hand_written_file_note_goes_to_stderr(env: FakeSite) -> None:
    Path("requirements.in").write_text("requests>=2\n", encoding="utf-8")
    result = run("check", "requirements.in")
    assert (result.exit_code, result.stdout) == (
        0,
        f"OK requirements.in matches {venv_label()} (1 package)\n",
    )
    assert "note: requirements.in does not pin the whole dependency tree" in result.stderr


@pytest.mark.parametrize("installer", ["pip", "uv"])
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("requirements.txt", ()),
        ("top.txt", ("--top-level-only",)),
        ("constraints.txt", ("--constraints",)),
        ("pylock.toml", ()),
    ],
)
def test_a_fresh_freeze_checks_clean_without_the_env(
    env: FakeSite, tmp_path: Path, installer: str, name: str, args: tuple[str, ...]
) -> None:
    # the default pre-commit hook right after a freeze (issue 22): pytest was installed
    # by name and never declared; in a uv-made venv nothing says so, it is a root
    from support.wheels import build_wheel  # noqa: PLC0415

    env("pytest", "8.3.4", requested=True, installer=installer)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "me"\nversion = "1"\ndependencies = ["requests"]\n', encoding="utf-8"
    )
    wheels = tmp_path / "wheels"
    for dist, version in (("requests", "2.32.3"), ("urllib3", "2.2.3"), ("pytest", "8.3.4")):
        build_wheel(wheels, dist, version)
    frozen = run("freeze", "-q", "-o", name, "--find-links", str(wheels), *args)
    assert (frozen.exit_code, frozen.stderr) == (0, "")
    checked = run("check", "--no-env", name)
    assert (checked.exit_code, checked.stdout) == (
        0,
        f"OK {tmp_path / 'pyproject.toml'} matches {name} (1 package)\n",
    )
    assert run("check", "-q", name).exit_code == 0


def test_annotations_land_on_the_file_that_holds_the_line(env: FakeSite, tmp_path: Path) -> None:
    # issue 22: a pin of an -r include, an extra package, a pyproject finding
    (tmp_path / "base.txt").write_text("# shared\nurllib3==2.0.0\n", encoding="utf-8")
    Path("requirements.txt").write_text("-r base.txt\nrequests==2.32.3\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "me"\nversion = "1"\ndependencies = [\n    "requests",\n'
        '    "httpx",\n]\n',
        encoding="utf-8",
    )
    env("rich", "13.9.4")
    result = run("check", "-q", "--format", "github")
    label = venv_label()
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"::error file=requirements.txt,title=envsnap%3A extra::rich==13.9.4 is in {label} but "
        "not in requirements.txt",
        f"::error file=base.txt,line=2,title=envsnap%3A version changed::urllib3: "
        f"requirements.txt has 2.0.0, {label} has 2.2.3",
        "::error file=pyproject.toml,line=6,title=envsnap%3A declared but not locked::httpx is "
        "declared in [dependencies] but not in the lock",
        f"drift: 1 extra, 1 changed, 1 missing-declared (requirements.txt vs {label})",
    ]
