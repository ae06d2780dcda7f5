"""Pure domain: enums, frozen dataclasses and rules as functions. No I/O, no Textual, no SQL."""
