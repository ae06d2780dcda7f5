"""`watchdesk demo`: the desk on bundled demo data in a temporary database."""
