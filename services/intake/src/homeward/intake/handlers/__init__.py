"""Command handlers: keyword-only functions that check rules, write state, stage events and
audit rows in the caller's session, then commit once: one transaction per command."""
