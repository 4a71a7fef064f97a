"""The machine report: JSON, schema ``envsnap.report/1`` (docs/report-schema.md).

Fields may be added within ``/1``; renaming or removing one, or changing its meaning,
makes ``/2``. Control characters JSON leaves raw (DEL, C1, U+2028/2029) are escaped too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from envsnap._text import printable
from envsnap.render.report import message

if TYPE_CHECKING:
    from envsnap.compare.changes import Report

__all__ = ["SCHEMA", "render", "to_dict"]

SCHEMA = "envsnap.report/1"
"""The value of the ``schema`` field."""


def to_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON data (see docs/report-schema.md).

    Returns:
        ``{"schema", "a", "b", "drift", "checked", "counts", "changes", "notes"}``;
        each change is ``{"kind", "package", "expected", "found", "detail",
        "file", "line", "drift", "message"}`` with ``null`` for unknown values.
    """
    return {
        "schema": SCHEMA,
        "a": report.a_label,
        "b": report.b_label,
        "drift": bool(report),
        "checked": report.checked,
        "counts": dict(report.counts()),
        "changes": [
            {
                "kind": c.kind,
                "package": c.name,
                "expected": c.expected,
                "found": c.found,
                "detail": c.detail,
                "file": c.path,
                "line": c.line,
                "drift": c.is_drift,
                "message": message(c, report),
            }
            for c in report.changes
        ],
        "notes": list(report.notes),
    }


def render(report: Report) -> str:
    """Render ``report`` as indented JSON (key order fixed), ending with a newline."""
    return printable(json.dumps(to_dict(report), indent=2, ensure_ascii=False), lines=True) + "\n"
