"""The options the commands share (``envsnap.cli.options``): same spelling, env-var defaults,
conflicts as usage errors, ``--debug`` and error handling on the group, shell completion.

The target is a real (stdlib, pip-less) venv whose site-packages holds fake
``*.dist-info`` trees, made once for the module: the probe is real, nothing
is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from typing import TYPE_CHECKING

import click
import pytest
from click.testing import CliRunner, Result

from envsnap.cli import COMMANDS, cli
from envsnap.cli.options import quiet_option, verbose_option
from envsnap.errors import InputError
from support.fake_site import FakeSite

if TYPE_CHECKING:
    from pathlib import Path

VERSION = ".".join(map(str, sys.version_info[:3]))
HEADER = "# envsnap 0.1.0 freeze - CPython 3.11.7, linux x86_64 - 1 top-level, 1 transitive\n"
LOCK = HEADER + "# top-level\nrequests==2.32.3\n# transitive\nurllib3==2.2.3\n    # via requests\n"

SHARED = {
    # option name -> (its flags, its env var, the commands that take it)
    "python": (["-p", "--python"], "ENVSNAP_PYTHON", ["check", "freeze", "restore", "tree"]),
    "quiet": (["-q", "--quiet"], "ENVSNAP_QUIET", ["check", "diff", "freeze", "restore", "tree"]),
    "verbose": (["-v", "--verbose"], "ENVSNAP_VERBOSE", ["check", "diff", "freeze", "restore"]),
    "format_name": (["--format"], "ENVSNAP_REPORT_FORMAT", ["check", "diff"]),
    "index_url": (["--index-url"], None, ["freeze", "restore"]),
    "extra_index_urls": (["--extra-index-url"], None, ["freeze", "restore"]),
    "find_links": (["--find-links"], None, ["freeze", "restore"]),
    "no_index": (["--no-index"], None, ["freeze", "restore"]),
    "trusted_hosts": (["--trusted-host"], None, ["freeze", "restore"]),
    "project": (["--project"], "ENVSNAP_PROJECT", ["check", "freeze"]),
    "extras": (["--extra"], None, ["check", "freeze", "restore"]),
    "groups": (["--group"], None, ["check", "freeze", "restore"]),
}
ALL_ENVSNAP_VARIABLES = (
    "ENVSNAP_PYTHON",
    "ENVSNAP_QUIET",
    "ENVSNAP_VERBOSE",
    "ENVSNAP_DEBUG",
    "ENVSNAP_PROJECT",
    "ENVSNAP_REPORT_FORMAT",
    "ENVSNAP_TREE_FORMAT",
    "ENVSNAP_INSTALLER",
    "ENVSNAP_NO_CACHE",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No variable of the caller's shell decides an option here."""
    for name in (*ALL_ENVSNAP_VARIABLES, "VIRTUAL_ENV", "PYTHONPATH"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding requests 2.32.3 -> urllib3 2.2.3 (both fake dist-info); its directory."""
    prefix = tmp_path_factory.mktemp("options") / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(prefix)
    (site_dir,) = prefix.glob("lib/python*/site-packages")
    site = FakeSite(site_dir)
    site("requests", "2.32.3", "urllib3>=2", requested=True)
    site("urllib3", "2.2.3")
    return prefix


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory holding requirements.txt (the target's pins)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(LOCK, encoding="utf-8")
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, prog_name="envsnap")


def command(name: str) -> click.Command:
    found = cli.get_command(click.Context(cli), name)
    assert found is not None
    return found


def usage_error(result: Result, message: str) -> None:
    """Assert exit 2, nothing on stdout, and click's usage error ending in ``message``."""
    assert (result.exit_code, result.stdout) == (2, ""), result.stderr
    assert result.stderr.endswith(f"\n\nError: {message}\n"), result.stderr


# ---- one declaration, the same everywhere --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "command_name"),
    [(name, cmd) for name, (_, _, commands) in SHARED.items() for cmd in commands],
)
def test_each_shared_option_is_spelled_alike_on_each_command(name: str, command_name: str) -> None:
    flags, envvar, _ = SHARED[name]
    [param] = [p for p in command(command_name).params if p.name == name]
    assert isinstance(param, click.Option)
    assert param.opts + param.secondary_opts == flags
    if command_name != "restore" or name != "python":  # see test_restore_python_*
        assert param.envvar == envvar
    help_text = " ".join(run(command_name, "--help").stdout.split())
    assert ", ".join(flags) in help_text
    if envvar and param.envvar:
        assert f"[env var: {envvar}" in help_text  # click adds "; default: X" inside


@pytest.mark.parametrize(
    ("command_name", "choices", "envvar"),
    [
        ("freeze", ["json", "pylock", "requirements"], None),  # default: from the --output name
        ("check", ["github", "json", "text"], "ENVSNAP_REPORT_FORMAT"),
        ("diff", ["github", "json", "text"], "ENVSNAP_REPORT_FORMAT"),
        ("tree", ["dot", "json", "mermaid", "text"], "ENVSNAP_TREE_FORMAT"),
    ],
)
def test_format_is_one_option_with_each_command_s_choices(
    command_name: str, choices: list[str], envvar: str | None
) -> None:
    [param] = [p for p in command(command_name).params if p.name == "format_name"]
    assert isinstance(param, click.Option)
    assert isinstance(param.type, click.Choice)
    assert (param.opts, list(param.type.choices), param.envvar) == (["--format"], choices, envvar)


@pytest.mark.parametrize("command_name", sorted(COMMANDS))
def test_every_command_takes_debug_and_explains_exit_codes_with_an_example(
    command_name: str,
) -> None:
    result = run(command_name, "--help")
    assert (result.exit_code, result.stderr) == (0, "")
    assert "--debug" in result.stdout
    assert "[env var: ENVSNAP_DEBUG]" in " ".join(result.stdout.split())
    assert "\n  Exit codes: 0 " in result.stdout
    assert f"\n    envsnap {command_name} " in result.stdout  # the example, unwrapped


def test_group_help_shows_version_debug_and_completion() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "  -V, --version " in result.stdout
    assert "  --debug " in result.stdout
    assert '    eval "$(_ENVSNAP_COMPLETE=bash_source envsnap)"\n' in result.stdout


def test_restore_python_names_the_base_interpreter_in_both_spellings(work: Path) -> None:
    [param] = [p for p in command("restore").params if p.name == "python"]
    assert param.envvar is None  # ENVSNAP_PYTHON names an env to read, not to build from
    for flag in ("-p", "--python"):
        result = run("restore", flag, str(work / "nope"), "--dry-run", "requirements.txt")
        assert (result.exit_code, result.stdout, result.stderr) == (
            2,
            "",
            f"error: --python {work / 'nope'}: no such interpreter\n"
            "hint: give a path, a version such as 3.12, or a name on PATH such as python3.12\n",
        )


# ---- -q / -v: the flags, their variables, their conflict -----------------------------------


@click.command()
@quiet_option()
@verbose_option(help="More.")
def _probe_flags(quiet: bool, verbose: bool) -> None:
    click.echo(f"quiet={quiet} verbose={verbose}")


@pytest.mark.parametrize(
    ("args", "env", "shown"),
    [
        ([], {}, "quiet=False verbose=False"),
        ([], {"ENVSNAP_QUIET": "1"}, "quiet=True verbose=False"),
        ([], {"ENVSNAP_VERBOSE": "true"}, "quiet=False verbose=True"),
        (["-v"], {"ENVSNAP_QUIET": "1"}, "quiet=False verbose=True"),  # command line wins
        (["-q"], {"ENVSNAP_VERBOSE": "1"}, "quiet=True verbose=False"),
        (["--verbose"], {"ENVSNAP_QUIET": "0"}, "quiet=False verbose=True"),
    ],
)
def test_quiet_and_verbose_read_their_variables_and_the_command_line_wins(
    args: list[str], env: dict[str, str], shown: str
) -> None:
    result = CliRunner().invoke(_probe_flags, args, env=env)
    assert (result.exit_code, result.stdout, result.stderr) == (0, shown + "\n", "")


@pytest.mark.parametrize("command_name", ["check", "diff", "freeze", "restore"])
@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["-q", "-v"], {}, "--quiet and --verbose cannot be used together"),
        (["--verbose", "--quiet"], {}, "--verbose and --quiet cannot be used together"),
        (
            [],
            {"ENVSNAP_QUIET": "1", "ENVSNAP_VERBOSE": "1"},
            "--quiet and --verbose cannot be used together",
        ),
    ],
)
def test_quiet_with_verbose_is_a_usage_error(
    command_name: str, args: list[str], env: dict[str, str], message: str, work: Path
) -> None:
    files = ["requirements.txt", "requirements.txt"] if command_name == "diff" else []
    usage_error(run(command_name, *args, *files, env=env), message)


@pytest.mark.parametrize("command_name", ["freeze", "restore"])
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-index", "--index-url", "http://127.0.0.1:1/simple/"], "--no-index and --index-url"),
        (["--index-url", "http://127.0.0.1:1/simple/", "--no-index"], "--index-url and --no-index"),
        (
            ["--extra-index-url", "http://127.0.0.1:1/simple/", "--no-index"],
            "--extra-index-url and --no-index",
        ),
    ],
)
def test_no_index_with_an_index_is_a_usage_error(
    command_name: str, args: list[str], message: str, work: Path
) -> None:
    usage_error(run(command_name, *args), f"{message} cannot be used together")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--top-level-only", "--format", "pylock"],
            "--top-level-only and --format pylock cannot be used together: a pylock.toml lists "
            "every package (write requirements.txt for the top-level pins)",
        ),
        (
            ["-o", "pylock.toml", "--top-level-only"],
            "--top-level-only and --output pylock.toml cannot be used together: a pylock.toml "
            "lists every package (write requirements.txt for the top-level pins)",
        ),
        (
            ["--hashes", "-o", "snap.json"],
            "--hashes and --output snap.json cannot be used together: --hashes adds hashes to "
            "requirements.txt",
        ),
    ],
)
def test_freeze_format_conflicts_are_usage_errors_before_the_env_is_read(
    args: list[str], message: str, work: Path
) -> None:
    usage_error(run("freeze", "-p", str(work / "nope"), *args), message)
    assert sorted(p.name for p in work.iterdir()) == ["requirements.txt"]  # nothing written


def test_check_verify_files_with_no_env_is_a_usage_error(work: Path) -> None:
    usage_error(
        run("check", "--no-env", "--verify-files"),
        "--verify-files and --no-env cannot be used together: --verify-files reads the files "
        "of an environment",
    )


# ---- environment-variable defaults on the real commands ------------------------------------


def test_python_and_quiet_from_the_environment(target: Path, work: Path) -> None:
    loud = run("check", env={"ENVSNAP_PYTHON": str(target)})
    assert (loud.exit_code, loud.stderr) == (
        0,
        f"Using environment at: {target} (Python {VERSION})\n",
    )
    quiet = run("check", env={"ENVSNAP_PYTHON": str(target), "ENVSNAP_QUIET": "1"})
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, loud.stdout, "")
    assert loud.stdout == f"OK requirements.txt matches env {target} (2 packages)\n"


def test_report_format_from_the_environment(work: Path) -> None:
    (work / "b.txt").write_text("requests==2.32.4\nurllib3==2.2.3\n", encoding="utf-8")
    result = run("diff", "requirements.txt", "b.txt", env={"ENVSNAP_REPORT_FORMAT": "json"})
    assert (result.exit_code, result.stderr) == (1, "")
    report = json.loads(result.stdout)
    assert [(c["kind"], c["package"]) for c in report["changes"]] == [("changed", "requests")]
    text = run("diff", "requirements.txt", "b.txt", "--format", "text",
               env={"ENVSNAP_REPORT_FORMAT": "json"})  # fmt: skip
    assert text.stdout.startswith("version changed (1):\n")  # the command line wins


def test_restore_installer_and_no_cache_from_the_environment(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVSNAP_INSTALLER", "pip")
    monkeypatch.setenv("ENVSNAP_NO_CACHE", "1")
    ctx = command("restore").make_context("restore", [])
    assert (ctx.params["installer"], ctx.params["no_cache"]) == ("pip", True)
    ctx = command("restore").make_context("restore", ["--installer", "uv"])
    assert ctx.params["installer"] == "uv"  # the command line wins
    # and the variable reaches the plan
    result = run("restore", "--dry-run", "-p", sys.executable)
    assert result.exit_code == 0, result.stderr
    assert "\n  $ " + sys.executable + " -m venv " in result.stdout
    assert " pip install --disable-pip-version-check --no-input " in result.stdout
    assert " --no-cache-dir -r REQUIREMENTS\n" in result.stdout


def test_tree_format_from_the_environment(target: Path, work: Path) -> None:
    result = run("tree", "-q", "-p", str(target), env={"ENVSNAP_TREE_FORMAT": "json"})
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["schema"] == "envsnap.tree/1"


def test_project_from_the_environment(work: Path) -> None:
    project = work / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\ndependencies = ["requests>=3"]\n',
        encoding="utf-8",
    )
    result = run("check", "--no-env", env={"ENVSNAP_PROJECT": str(project)})
    assert result.exit_code == 1, result.stderr
    assert "requests" in result.stdout
    assert ">=3" in result.stdout


# ---- errors and --debug, handled once by the group -----------------------------------------

MISSING = "error: missing.txt: no such file\nhint: give an existing lock file\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--debug", "check", "--no-env", "missing.txt"],
        ["check", "--no-env", "missing.txt", "--debug"],
    ],
)
def test_debug_before_or_after_the_command_raises_the_error(args: list[str], work: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.txt: no such file"):
        CliRunner().invoke(cli, args, catch_exceptions=False)
    plain = run(*[a for a in args if a != "--debug"])
    assert (plain.exit_code, plain.stdout, plain.stderr) == (2, "", MISSING)


def _envsnap(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENVSNAP_")}
    return subprocess.run(
        [sys.executable, "-m", "envsnap", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env={**clean, **(env or {})},
    )


def test_a_traceback_only_with_debug(work: Path) -> None:
    plain = _envsnap("check", "--no-env", "missing.txt", cwd=work)
    assert (plain.returncode, plain.stdout, plain.stderr) == (2, "", MISSING)
    for debug in (
        _envsnap("--debug", "check", "--no-env", "missing.txt", cwd=work),
        _envsnap("check", "--no-env", "missing.txt", cwd=work, env={"ENVSNAP_DEBUG": "1"}),
    ):
        assert (debug.returncode, debug.stdout) == (1, "")
        assert debug.stderr.startswith("Traceback (most recent call last):\n")
        assert debug.stderr.endswith("envsnap.errors.InputError: missing.txt: no such file\n")


# ---- shell completion ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("envsnap fr", "1", "plain,freeze\n"),
        ("envsnap freeze --top", "2", "plain,--top-level-only\n"),
        ("envsnap tree --format me", "3", "plain,mermaid\n"),
    ],
)
def test_bash_completion(words: str, cword: str, expected: str) -> None:
    env = {"_ENVSNAP_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    result = run(env=env)
    assert (result.exit_code, result.stdout, result.stderr) == (0, expected, "")


def test_bash_completion_script() -> None:
    result = run(env={"_ENVSNAP_COMPLETE": "bash_source"})
    assert result.exit_code == 0
    assert "_envsnap_completion()" in result.stdout
    assert "complete -o nosort -F _envsnap_completion envsnap" in result.stdout
