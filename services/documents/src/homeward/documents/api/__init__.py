"""REST routes of the documents service."""
