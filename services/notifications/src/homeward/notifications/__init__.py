"""Homeward notifications service: who is told what: inbox, live stream, signed webhooks and email."""
