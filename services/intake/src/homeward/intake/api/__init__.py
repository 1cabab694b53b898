"""REST API of intake under /v1: thin routes that parse, authorise and hand on."""
