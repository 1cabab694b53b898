"""The console: the web workspace of everyone who uses Homeward (a backend-for-frontend)."""
