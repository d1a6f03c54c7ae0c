"""Analyses served over HTTP: the measures engine on warehouse releases, cached per release."""
