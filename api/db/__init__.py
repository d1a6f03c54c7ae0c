"""Warehouse access: engine, sessions, embedded server, models and migrations."""
