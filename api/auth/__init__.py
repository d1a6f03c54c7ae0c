"""API keys, roles, region scope and the audit trail."""
