"""``envsnap freeze`` through click's CliRunner: exit codes, stdout vs stderr, files."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner, Result

import envsnap.environment.snapshot as snapshot_module
from envsnap import __version__
from envsnap.cli import cli
from support.fake_site import FakeSite

if TYPE_CHECKING:
    from pathlib import Path

    from envsnap.environment.target import TargetEnvironment

HEADER = f"# envsnap {__version__} freeze - CPython 3.11.7, linux x86_64"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    base = {"VIRTUAL_ENV": "", "PYTHONPATH": "", "ENVSNAP_PYTHON": ""}
    return CliRunner().invoke(cli, ["freeze", *args], env={**base, **(env or {})})


@pytest.fixture
def fake(site: FakeSite, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeSite:
    """Make every probe answer with the fake site's environment; cwd is an empty dir."""
    environment = site.environment()

    def fake_probe(interpreter: Path, **_: object) -> TargetEnvironment:
        return environment

    monkeypatch.setattr(snapshot_module, "probe", fake_probe)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    python = environment.interpreter
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text("", encoding="utf-8")
    return site


def py(site: FakeSite) -> str:
    return str(site.root.parents[2])


def using(site: FakeSite) -> str:
    """The line every command starts its stderr with (not with -q)."""
    return f"Using environment at: {py(site)} (Python 3.11.7)\n"


SUMMARY = "top-level: 1 (1 requested); extras inferred: none\n"


def lines_with(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


@pytest.fixture
def populated(fake: FakeSite) -> FakeSite:
    fake("requests", "2.32.3", "urllib3>=1.21.1", requested=True)
    fake("urllib3", "2.2.3")
    fake("pip", "24.2", requested=True)
    return fake


def test_stdout_is_the_file_stderr_says_the_target_and_the_decision(populated: FakeSite) -> None:
    result = run("-p", py(populated))
    assert result.exit_code == 0
    assert result.stdout == (
        f"{HEADER} - 1 top-level, 1 transitive\n"
        "# top-level\nrequests==2.32.3\n# transitive\nurllib3==2.2.3\n    # via requests\n"
    )
    assert result.stderr == using(populated) + SUMMARY
    quiet = run("-p", py(populated), "-q")
    assert (quiet.stdout, quiet.stderr) == (result.stdout, "")


def test_options_reach_the_writer(populated: FakeSite) -> None:
    result = run("-p", py(populated), "--no-annotate", "--all", "--exclude", "URLLIB3")
    assert result.exit_code == 0
    assert result.stdout == (
        f"{HEADER} - 2 top-level, 0 transitive\n"
        "# top-level\npip==24.2\nrequests==2.32.3\n# transitive\n"
    )
    top = run("-p", py(populated), "--top-level-only")
    assert top.stdout.splitlines()[1:] == ["# top-level", "requests==2.32.3"]


def test_json_format(populated: FakeSite) -> None:
    result = run("-p", py(populated), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["schema"] == "envsnap.snapshot/1"
    assert [(p["name"], p["reason"]) for p in data["packages"]] == [
        ("requests", "requested"),
        ("urllib3", "transitive"),
    ]


def test_output_file_is_written_atomically(populated: FakeSite, tmp_path: Path) -> None:
    out = tmp_path / "work" / "requirements.txt"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o600)
    result = run("-p", py(populated), "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == using(populated) + SUMMARY + f"wrote {out}: 1 top-level, 1 transitive\n"
    assert out.read_text(encoding="utf-8") == run("-p", py(populated)).stdout
    assert out.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["requirements.txt"]


def test_output_json_by_file_name(populated: FakeSite, tmp_path: Path) -> None:
    out = tmp_path / "work" / "snap.json"
    assert run("-p", py(populated), "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["schema"] == "envsnap.snapshot/1"


def test_a_toml_name_that_is_not_pep_751_is_refused(populated: FakeSite, tmp_path: Path) -> None:
    out = tmp_path / "work" / "env-lock.toml"
    result = run("-p", py(populated), "-o", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {out}: PEP 751 names a lock file pylock.toml or pylock.NAME.toml\n"
        "hint: name the output so, or say --format pylock or --format requirements\n"
    )
    assert not out.exists()
    named = run("-p", py(populated), "-o", str(out), "--format", "requirements")
    assert named.exit_code == 0
    assert out.read_text(encoding="utf-8") == run("-p", py(populated)).stdout


def test_output_into_a_missing_dir(populated: FakeSite, tmp_path: Path) -> None:
    out = tmp_path / "nodir" / "r.txt"
    result = run("-p", py(populated), "-o", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        using(populated) + SUMMARY + f"error: {out}: cannot write: No such file or directory\n"
    )


def test_editable_path_relative_to_the_output_file(fake: FakeSite, tmp_path: Path) -> None:
    project = tmp_path / "work" / "proj"
    fake("proj", "0.1", direct_url={"url": project.as_uri(), "dir_info": {"editable": True}})
    out = tmp_path / "work" / "requirements.txt"
    assert run("-p", py(fake), "-o", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines()[2] == "-e ./proj"
    assert run("-p", py(fake)).stdout.splitlines()[2] == "-e ./proj"  # cwd is work/


def test_warnings_go_to_stderr(fake: FakeSite) -> None:
    bad = fake("bad", "not-a-version")
    fake("web", "1.0", 'ujson; extra == "fast"', extras=["fast"])
    fake("ujson", "5.0")
    result = run("-p", py(fake))
    assert result.exit_code == 0
    assert result.stderr == (
        using(fake) + f"warning: {bad}: invalid version 'not-a-version': skipped\n"
        "top-level: 1 (1 root); extras inferred: web[fast]\n"
    )
    verbose = run("-p", py(fake), "-v")
    assert verbose.stderr.splitlines()[-1] == "note: web[fast] inferred: it explains ujson"
    quiet = run("-p", py(fake), "-q")
    assert quiet.stderr == f"warning: {bad}: invalid version 'not-a-version': skipped\n"
    assert "bad" not in result.stdout
    assert result.stdout.splitlines()[-2:] == ["ujson==5.0", "    # via web[fast]"]


def test_credentials_stripped_with_a_warning(fake: FakeSite) -> None:
    info = fake(
        "private",
        "1.0",
        direct_url={"url": "https://u:pw@example.invalid/p.whl", "archive_info": {}},
    )
    result = run("-p", py(fake))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2] == "private @ https://example.invalid/p.whl"
    assert result.stderr == (
        using(fake) + f"warning: {info / 'direct_url.json'}: credentials removed from the "
        "recorded URL; never written out\ntop-level: 1 (1 root); extras inferred: none\n"
    )
    assert "pw" not in result.output


def test_pythonpath_note(populated: FakeSite) -> None:
    result = run("-p", py(populated), env={"PYTHONPATH": "/somewhere"})
    assert result.exit_code == 0
    assert result.stderr == (
        "note: PYTHONPATH is set in your shell; it is ignored when reading the "
        "target environment (the probe runs isolated)\n" + using(populated) + SUMMARY
    )


def test_declared_from_the_default_pyproject(populated: FakeSite, tmp_path: Path) -> None:
    (tmp_path / "work" / "pyproject.toml").write_text(
        '[project]\nname = "me"\ndependencies = ["urllib3"]\n', encoding="utf-8"
    )
    result = run("-p", py(populated), "--format", "json")
    reasons = {p["name"]: p["reason"] for p in json.loads(result.stdout)["packages"]}
    assert reasons == {"requests": "requested", "urllib3": "declared"}


def test_project_extra_and_group(populated: FakeSite, tmp_path: Path) -> None:
    project = tmp_path / "elsewhere.toml"
    project.write_text(
        '[project]\nname = "me"\n[project.optional-dependencies]\nnet = ["urllib3"]\n'
        '[dependency-groups]\ndev = ["pip"]\n',
        encoding="utf-8",
    )
    plain = run("-p", py(populated), "--project", str(project), "--top-level-only")
    assert plain.stdout.splitlines()[2:] == ["requests==2.32.3"]
    extra = run(
        "-p", py(populated), "--project", str(project), "--extra", "net", "--top-level-only"
    )
    # a declared pin says so: check --no-env reports it stale once it is no longer declared
    assert extra.stdout.splitlines()[2:] == ["requests==2.32.3", "urllib3==2.2.3", "    # declared"]
    group = run(
        "-p",
        py(populated),
        "--project",
        str(project),
        "--group",
        "dev",
        "--all",
        "--format",
        "json",
    )
    reasons = {p["name"]: p["reason"] for p in json.loads(group.stdout)["packages"]}
    assert reasons["pip"] == "declared"


def test_broken_default_pyproject_is_a_warning(populated: FakeSite, tmp_path: Path) -> None:
    pyproject = tmp_path / "work" / "pyproject.toml"
    pyproject.write_text("[project\n", encoding="utf-8")
    result = run("-p", py(populated))
    assert result.exit_code == 0
    assert result.stderr.startswith(f"warning: {pyproject}: invalid TOML: ")
    assert result.stderr.endswith("; declared dependencies not used\n" + using(populated) + SUMMARY)


def test_broken_explicit_project_is_exit_2(populated: FakeSite, tmp_path: Path) -> None:
    pyproject = tmp_path / "bad.toml"
    pyproject.write_text("[project\n", encoding="utf-8")
    result = run("-p", py(populated), "--project", str(pyproject))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {pyproject}: invalid TOML: ")


def test_unknown_extra_of_the_default_project_is_exit_2(
    populated: FakeSite, tmp_path: Path
) -> None:
    (tmp_path / "work" / "pyproject.toml").write_text('[project]\nname = "me"\n', encoding="utf-8")
    result = run("-p", py(populated), "--extra", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'work' / 'pyproject.toml'}: no optional-dependencies entry "
        "named 'nope' (known: none)\n"
    )


def test_extra_without_any_project_is_exit_2(populated: FakeSite) -> None:
    result = run("-p", py(populated), "--group", "dev")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --extra and --group select parts of a pyproject.toml, and there is none here\n"
        "hint: name the project with --project PATH\n"
    )


def test_unknown_format_is_a_usage_error(populated: FakeSite) -> None:
    result = run("-p", py(populated), "--format", "yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Invalid value for '--format'" in result.stderr


# ---- targets that cannot be used: exit 2, one clear line ---------------------------------------


def test_missing_target(tmp_path: Path) -> None:
    result = run("-p", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {tmp_path / 'nope'}: no such file or directory (--python)\n"


def test_broken_venv_symlink(tmp_path: Path) -> None:
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /gone\n", encoding="utf-8")
    (tmp_path / "venv" / "bin" / "python").symlink_to("/gone/python3")
    result = run("-p", str(tmp_path / "venv"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'venv'}: broken virtual environment: "
        f"{tmp_path / 'venv' / 'bin' / 'python'} points to missing /gone/python3\n"
        "hint: recreate it (python -m venv) or name another with --python\n"
    )


def test_not_a_python(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho nope >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    result = run("-p", str(fake))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {fake}: not a usable Python 3 interpreter (nope)\n"
        "hint: envsnap reads Python 3 environments; name another with --python\n"
    )


def test_no_target_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)
    result = run()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no target environment: $VIRTUAL_ENV is not set and there is no .venv in "
        f"{tmp_path} or its parents up to the project root\n"
        "hint: name one with --python PATH (a venv directory, its interpreter, or a "
        "$WORKON_HOME env name), activate a venv, or create ./.venv\n"
    )


def test_debug_shows_the_exception(tmp_path: Path) -> None:
    result = run("-p", str(tmp_path / "nope"), "--debug")
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "TargetError"  # raised, not turned into a line


# ---- a real (cheap) venv ---------------------------------------------------------------


def test_real_venv_end_to_end(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    [site_packages] = venv.glob("lib/python*/site-packages")
    planted = FakeSite(site_packages)
    planted("demo", "1.0", "helper>=1", requested=True)
    planted("helper", "1.2")
    result = run("-p", str(venv))
    assert result.exit_code == 0, result.stderr
    version = ".".join(map(str, sys.version_info[:3]))
    assert result.stderr == (
        f"Using environment at: {venv} (Python {version})\n"
        "top-level: 1 (1 requested); extras inferred: none\n"
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"# envsnap {__version__} freeze - CPython {sys.version_info[0]}.")
    assert lines[0].endswith(" - 1 top-level, 1 transitive")
    assert lines[1:] == [
        "# top-level",
        "demo==1.0",
        "# transitive",
        "helper==1.2",
        "    # via demo",
    ]
    # VIRTUAL_ENV is the default target
    assert run(env={"VIRTUAL_ENV": str(venv)}).stdout == result.stdout


def test_unsatisfied_requirements_are_warned_like_pip_check(fake: FakeSite) -> None:
    fake("app", "1.0", "lib>=2", "gone", requested=True)
    fake("lib", "1.5")
    result = run("-p", py(fake))
    assert result.exit_code == 0
    assert result.stderr == using(fake) + (
        "warning: app requires lib>=2, but lib 1.5 is installed\n"
        "warning: app requires gone, but it is not installed\n" + SUMMARY
    )
    assert "lib==1.5\n    # via app\n" in result.stdout


def test_explain_prints_and_writes_nothing(populated: FakeSite, tmp_path: Path) -> None:
    out = tmp_path / "work" / "requirements.txt"
    result = run("-p", py(populated), "--explain", "URLLIB3", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == (
        "urllib3 2.2.3: transitive (via requests)\n"
        "  REQUESTED: no\n"
        "  INSTALLER: pip\n"
        "  required by:\n"
        "    requests (urllib3>=1.21.1)\n"
        "  extras in effect: none\n"
    )
    assert result.stderr == using(populated)
    assert not out.exists()
    missing = run("-p", py(populated), "--explain", "nope")
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr.splitlines()[1:] == [
        f"error: --explain nope: no such distribution in {py(populated)}",
        "hint: name an installed distribution (any spelling)",
    ]


def test_a_bad_requires_dist_of_an_extra_warns_only_when_the_extra_is_in_effect(
    fake: FakeSite,
) -> None:
    """Lines of an extra are parsed when the extra matters, and a bad one is said then."""
    lib = fake(
        "lib",
        "1.0",
        'speedups (>=1.0.*) ; extra == "fast"',
        'docs-tool; extra == "docs"',
        extras=["fast", "docs"],
        requested=True,
    )
    result = run("-p", py(fake))
    assert result.exit_code == 0
    assert result.stderr == using(fake) + SUMMARY  # nothing asks for lib[fast]: not parsed
    fake("app", "1.0", "lib[fast]", requested=True)
    result = run("-p", py(fake))
    assert result.exit_code == 0
    warning = result.stderr.splitlines()[1]
    assert warning.startswith(
        f"warning: {lib}: invalid Requires-Dist 'speedups (>=1.0.*) ; extra == \"fast\"' skipped: "
    )
    assert len(lines_with(result.stderr, "warning: ")) == 1
    assert result.stdout.splitlines()[2:4] == ["app==1.0", "lib==1.0"]


@pytest.mark.parametrize(
    ("args", "other"),
    [
        (("--top-level-only",), "--top-level-only"),
        (("--format", "pylock"), "--format pylock"),
        (("--format", "json"), "--format json"),
    ],
)
def test_constraints_are_a_requirements_file_of_every_pin(
    populated: FakeSite, args: tuple[str, ...], other: str
) -> None:
    result = run("-p", py(populated), "--constraints", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith(
        f"Error: --constraints and {other} cannot be used together: --constraints writes "
        "every pin of the environment as a requirements-format constraints file\n"
    )
