"""Homeward documents service: each person's legal documentation and the service readiness it gives."""
