"""The options several commands share, each declared once (as pip-tools' ``scripts/options.py``).

Every command takes its shared options from here, so a flag is spelled, typed
and documented the same way everywhere. An option whose default may come from
the environment names its variable with ``envvar=`` and shows it in
``--help`` (``show_envvar``). The index options show pip's variables instead:
pip reads those itself (and :func:`envsnap.index.settings.index_settings`
merges them for ``freeze``), so envsnap does not read them twice.

Two options that cannot go together are refused with a
:class:`click.UsageError` (exit 2) naming both (:data:`CONFLICTS`); when one of
them comes from an environment variable and the other from the command line,
the command line wins.

Only click is imported here: this module loads with ``envsnap --help``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import click
from click.core import ParameterSource

__all__ = [
    "CONFLICTS",
    "DEBUG_KEY",
    "debug_option",
    "extra_group_options",
    "format_option",
    "index_options",
    "project_options",
    "python_option",
    "quiet_option",
    "verbose_option",
    "version_option",
]

F = TypeVar("F", bound=Callable[..., Any])

DEBUG_KEY = "envsnap.debug"
"""Key of ``click.Context.meta`` (shared by the group and its command) set by ``--debug``."""

CONFLICTS: frozenset[frozenset[str]] = frozenset(
    {
        frozenset({"quiet", "verbose"}),
        frozenset({"no_index", "index_url"}),
        frozenset({"no_index", "extra_index_urls"}),
    }
)
"""Pairs of option names (click parameter names) that cannot be given together."""

TARGET_HELP = (
    "Target environment: a venv directory, a Python interpreter, or the name of a "
    "$WORKON_HOME env [default: $VIRTUAL_ENV unless it is envsnap's own, else the nearest "
    ".venv up to the project root; a default must be a venv]."
)


def _long_name(ctx: click.Context, name: str) -> str:
    """Return the ``--long`` spelling of the parameter called ``name`` in this command."""
    for param in ctx.command.params:
        if param.name == name:
            return max(param.opts, key=len)
    return name  # pragma: no cover - every name in CONFLICTS is an option of its command


def _refuse_conflicts(ctx: click.Context, param: click.Parameter, value: Any) -> Any:  # noqa: ANN401
    """Option callback: raise :class:`click.UsageError` when ``value`` meets a conflicting option.

    Click fills ``ctx.params`` in processing order, so the second of two
    conflicting options sees the first. A value taken from an environment
    variable gives way to one given on the command line.
    """
    name = param.name
    if not value or name is None:
        return value
    mine = ctx.get_parameter_source(name)
    for pair in CONFLICTS:
        if name not in pair:
            continue
        (other,) = pair - {name}
        if not ctx.params.get(other):
            continue
        theirs = ctx.get_parameter_source(other)
        if mine is ParameterSource.ENVIRONMENT and theirs is ParameterSource.COMMANDLINE:
            return type(value)()  # the command line wins: this one is off (False, (), "")
        if mine is ParameterSource.COMMANDLINE and theirs is ParameterSource.ENVIRONMENT:
            ctx.params[other] = type(ctx.params[other])()  # the variable's one is off
            continue
        raise click.UsageError(
            f"{_long_name(ctx, other)} and {_long_name(ctx, name)} cannot be used together",
            ctx=ctx,
        )
    return value


def _apply(func: F, options: Sequence[Callable[[F], F]]) -> F:
    """Apply ``options`` so that they appear in ``--help`` in the order given."""
    for option in reversed(options):
        func = option(func)
    return func


def python_option(
    *, help: str = TARGET_HELP, envvar: str | None = "ENVSNAP_PYTHON"
) -> Callable[[F], F]:
    """Add ``-p/--python PATH`` (value ``python``): the environment a command acts on.

    For ``freeze``, ``check`` and ``tree`` it names the environment read; for
    ``restore`` the interpreter the new venv is built from (as uv's
    ``--python``), which is why restore passes its own ``help`` and no
    ``envvar``: ``ENVSNAP_PYTHON`` names an environment to read, not one to
    replace.

    Args:
        help: the option's help text.
        envvar: the environment variable giving the default, or ``None``.
    """
    return click.option(
        "-p",
        "--python",
        "python",
        metavar="PATH",
        envvar=envvar,
        show_envvar=envvar is not None,
        help=help,
    )


def _remember_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta[DEBUG_KEY] = True
    return value


debug_option: Callable[[F], F] = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    envvar="ENVSNAP_DEBUG",
    show_envvar=True,
    callback=_remember_debug,
    help="Show the full traceback of an error instead of the one-line message (for bug reports).",
)
"""``--debug``: read by the group's error handling (``envsnap --debug CMD`` or ``CMD --debug``)."""


def quiet_option(*, help: str = "Print errors and warnings only.") -> Callable[[F], F]:
    """Add ``-q/--quiet`` (value ``quiet``); it cannot go with ``-v/--verbose``."""
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        envvar="ENVSNAP_QUIET",
        show_envvar=True,
        callback=_refuse_conflicts,
        help=help,
    )


def verbose_option(*, help: str) -> Callable[[F], F]:
    """Add ``-v/--verbose`` (value ``verbose``); ``help`` says what more the command prints."""
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        envvar="ENVSNAP_VERBOSE",
        show_envvar=True,
        callback=_refuse_conflicts,
        help=help,
    )


def format_option(
    choices: Collection[str],
    *,
    help: str,
    default: str | None = None,
    envvar: str | None = None,
) -> Callable[[F], F]:
    """Add ``--format`` (value ``format_name``) with these choices.

    Args:
        choices: the format names (the keys of the command's format table).
        help: what each format is.
        default: the default format, or ``None`` when the command derives it.
        envvar: the environment variable giving the default, or ``None``.
    """
    return click.option(
        "--format",
        "format_name",
        type=click.Choice(sorted(choices)),
        default=default,
        show_default=default is not None,
        envvar=envvar,
        show_envvar=envvar is not None,
        help=help,
    )


def index_options(*, purpose: str) -> Callable[[F], F]:
    """Add pip's index options (pip's spelling and meaning), values named after them.

    Values: ``index_url`` (str or None), ``extra_index_urls``, ``find_links``,
    ``trusted_hosts`` (tuples of str) and ``no_index`` (bool). ``--no-index``
    cannot go with ``--index-url`` or ``--extra-index-url``.

    Args:
        purpose: what the index is used for, ending the ``--index-url`` help.
    """
    return lambda func: _apply(
        func,
        [
            click.option(
                "--index-url",
                metavar="URL",
                callback=_refuse_conflicts,
                help=f"Simple API root of the package index {purpose} [default: the one pip "
                "uses: PIP_INDEX_URL, pip's configuration, else pip's default index].",
            ),
            click.option(
                "--extra-index-url",
                "extra_index_urls",
                metavar="URL",
                multiple=True,
                callback=_refuse_conflicts,
                help="Another index, asked after --index-url (repeatable) "
                "[pip also reads: PIP_EXTRA_INDEX_URL].",
            ),
            click.option(
                "--find-links",
                "find_links",
                metavar="DIR|URL",
                multiple=True,
                help="A wheelhouse directory or a page of links to look for files in too "
                "(repeatable) [pip also reads: PIP_FIND_LINKS].",
            ),
            click.option(
                "--no-index",
                is_flag=True,
                callback=_refuse_conflicts,
                help="Use no index, only --find-links (as pip's option).",
            ),
            click.option(
                "--trusted-host",
                "trusted_hosts",
                metavar="HOST[:PORT]",
                multiple=True,
                help="Allow plain http to this host, and https without certificate "
                "verification, as pip does (repeatable; hashes are still checked) "
                "[pip also reads: PIP_TRUSTED_HOST].",
            ),
        ],
    )


def extra_group_options(*, extra_help: str, group_help: str) -> Callable[[F], F]:
    """Add ``--extra NAME`` and ``--group NAME`` (values ``extras``, ``groups``; repeatable)."""
    return lambda func: _apply(
        func,
        [
            click.option("--extra", "extras", multiple=True, metavar="NAME", help=extra_help),
            click.option("--group", "groups", multiple=True, metavar="NAME", help=group_help),
        ],
    )


def project_options(*, project_help: str, also: str) -> Callable[[F], F]:
    """Add ``--project``, ``--extra`` and ``--group``: which declarations of a project count.

    Args:
        project_help: the ``--project`` help after "pyproject.toml (or its directory)".
        also: the ``--extra``/``--group`` help as a format string with ``{what}``,
            e.g. ``"Also check {what}"``.

    Returns:
        A decorator adding the three options (values ``project``, ``extras``, ``groups``).
    """
    from pathlib import Path  # noqa: PLC0415 - not needed for --help

    return lambda func: _apply(
        func,
        [
            click.option(
                "--project",
                type=click.Path(path_type=Path, exists=True),
                envvar="ENVSNAP_PROJECT",
                show_envvar=True,
                help=f"pyproject.toml (or its directory) {project_help} "
                "[default: ./pyproject.toml if present].",
            ),
            extra_group_options(
                extra_help=also.format(what="this optional-dependency group of the project")
                + " ('*' for all).",
                group_help=also.format(what="this PEP 735 dependency group") + " ('*' for all).",
            ),
        ],
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Print ``envsnap X.Y.Z (Python X.Y.Z, packaging A.B)`` and exit 0."""
    if not value or ctx.resilient_parsing:
        return
    import sys  # noqa: PLC0415
    from importlib.metadata import version  # noqa: PLC0415 - only for --version

    from envsnap._version import __version__  # noqa: PLC0415

    python = ".".join(map(str, sys.version_info[:3]))
    click.echo(f"envsnap {__version__} (Python {python}, packaging {version('packaging')})")
    ctx.exit()


version_option: Callable[[F], F] = click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show envsnap's version, the Python running it and packaging's version, and exit.",
)
"""``-V/--version`` on the group."""
