"""Screens of the desk; `catalog` imports and registers them in order."""
