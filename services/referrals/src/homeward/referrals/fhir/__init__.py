"""Referrals as FHIR R4 for partner systems that speak FHIR: mapping (`mapping`), status
updates (`updates`) and OperationOutcome errors (`outcome`); the routes are `api.fhir`."""
