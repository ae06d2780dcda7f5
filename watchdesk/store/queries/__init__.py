"""The desk's SQL, one module per area: plain functions that take the caller's open session.

Services own the transaction (``with db.write() as session``) and the audit event; the functions
here only read or change rows, written with SQLModel/Core or ``text()`` with named binds, so the
same statements serve SQLite and PostgreSQL. Nothing outside ``watchdesk.store`` imports a driver.
"""
