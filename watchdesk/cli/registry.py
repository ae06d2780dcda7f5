"""Imports every command module so its commands attach to the root group."""
