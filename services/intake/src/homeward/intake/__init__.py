"""Homeward intake service: where a coordinator registers a returning family: cases,
persons, protected identities, needs assessments, consent and transfers."""
