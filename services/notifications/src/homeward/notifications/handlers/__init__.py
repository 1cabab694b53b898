"""Event handlers (routing into channels) and the inbox, subscription and email commands."""
