"""The operators' command, `homeward`: migrations, topics, dead letters, outbox, keys, checks."""
