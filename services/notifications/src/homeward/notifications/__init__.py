"""Homeward notifications service: who is told what.

Inbox, live stream, signed webhooks and email.
"""
