"""pylock.toml (PEP 751): write a snapshot as a standard lock file, read any valid one."""
