"""The desk: the Textual app a duty officer lives in (only cli/ and tests import this)."""
