"""pylock.toml (PEP 751): ``write`` a snapshot, ``read`` any valid file."""

CREATED_BY = "envsnap"
"""The ``created-by`` value of the files envsnap writes."""

TOOL = "envsnap"
"""The ``[tool.NAME]`` table envsnap writes and reads."""
