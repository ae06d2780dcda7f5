"""Renderers of the handover record and the acknowledgment report: JSON, CSV, Markdown, printable HTML.

Pure functions from the services' records to text; no I/O, no Textual. Every rendering puts the
audit proof in its FIRST line (a tampered log is said there, in words).
"""
