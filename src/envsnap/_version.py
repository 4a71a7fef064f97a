"""envsnap's version: one line the build backend reads (``[tool.hatch.version]``).

It lives apart from ``envsnap/__init__.py`` so that the writers, which put it
in a file's header, import it without importing the package's public face.
"""

__version__ = "0.1.0"
