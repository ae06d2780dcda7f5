"""Files the package ships: the commented example config (kept identical to config.example.toml by a test)."""
