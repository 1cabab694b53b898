"""The documents domain: plain Python, no framework, no database, no broker."""
