"""Renderers: drift reports (text, JSON, GitHub annotations) and dependency tree views.

Each renderer is a pure function returning a string; the CLI prints it.
See docs/architecture.md.
"""
