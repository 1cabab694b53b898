"""The intake domain in plain Python: codes, persons, consent, assessments, transfers.

Nothing here imports a framework, a database or a broker; the rules are unit-tested alone.
"""
