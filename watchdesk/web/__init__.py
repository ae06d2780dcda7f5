"""`watchdesk web`: the desk served to a browser (textual-serve), behind a token, carrying its
own font and requesting nothing from any other host. access.py decides the address and the
token; server.py serves; templates/ and assets/ are the page."""
