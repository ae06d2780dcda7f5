"""Use-cases: one write transaction each, the state change and its audit event together."""
