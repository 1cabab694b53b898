"""Tables and queries of the intake database."""
