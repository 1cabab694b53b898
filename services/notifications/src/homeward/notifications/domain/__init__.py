"""The notifications domain: recipients, routing rules, content, webhook signing. No I/O."""
