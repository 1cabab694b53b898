"""Versioned readiness rule files shipped with the service (JSON, validated at start-up)."""
