"""Homeward documents service: each person's legal documentation and the readiness it gives."""
