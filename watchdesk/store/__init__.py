"""Persistence: SQLModel tables, engine set-up, migrations, the audit chain."""
