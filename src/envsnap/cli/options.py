"""The options several commands share, each declared once (as pip-tools' ``scripts/options.py``).

An option defaulting from an environment variable shows it in ``--help``; the index
options show pip's variables, which pip reads itself. Two options that cannot go together
(:data:`CONFLICTS`) are a :class:`click.UsageError`, unless one comes from a variable: then
the command line wins. Only click is imported here: this module loads with ``--help``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

__all__ = [
    "CONFLICTS",
    "DEBUG_KEY",
    "debug_option",
    "extra_group_options",
    "folded",
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
    param = next(p for p in ctx.command.params if p.name == name)  # a value it has: its option
    return max(param.opts, key=len)


def _refuse_conflicts(ctx: click.Context, param: click.Parameter, value: Any) -> Any:  # noqa: ANN401
    """Option callback: raise :class:`click.UsageError` when ``value`` meets a conflicting option.

    The second of two options sees the first in ``ctx.params`` (click's processing order).
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
            f"{_long_name(ctx, other)} and {_long_name(ctx, name)} cannot be used together", ctx=ctx
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

    For ``restore`` it is the interpreter the new venv is built from (as uv's ``--python``),
    with its own ``help`` and no ``envvar``: ``ENVSNAP_PYTHON`` names an environment to read.
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
    choices: Collection[str], *, help: str, default: str | None = None, envvar: str | None = None
) -> Callable[[F], F]:
    """Add ``--format`` (value ``format_name``) with these choices, shown sorted.

    ``default`` is ``None`` when the command derives it; ``envvar`` may give the default.
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


def folded(
    into: str, kind: Callable[[], type], options: Sequence[Callable[[F], F]]
) -> Callable[[F], F]:
    """Add ``options``; the command gets the values of those named after ``kind()``'s fields as one.

    Args:
        into: the command's parameter that takes them.
        kind: returns the dataclass they make (imported only when the command runs).
        options: click options; the values of the others go to the command as they are.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def command(**values: Any) -> Any:  # noqa: ANN401 - what the command returns
            import dataclasses  # noqa: PLC0415

            made = kind()
            own = {f.name: values.pop(f.name) for f in dataclasses.fields(made)}
            return func(**{into: made(**own)}, **values)

        return _apply(cast("F", command), options)

    return decorate


def index_options(*, purpose: str) -> Callable[[F], F]:
    """Add pip's index options (pip's spelling and meaning) as one ``index``: an ``IndexOptions``.

    ``purpose`` (what the index is used for) ends the ``--index-url`` help.
    """

    def index_options_type() -> type:
        from envsnap.index.settings import IndexOptions  # noqa: PLC0415

        return IndexOptions

    return folded(
        "index",
        index_options_type,
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
    """Add ``--project``, ``--extra`` and ``--group`` (values ``project``, ``extras``, ``groups``).

    Args:
        project_help: the ``--project`` help after "pyproject.toml (or its directory)".
        also: the ``--extra``/``--group`` help, a format string with ``{what}``.
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
