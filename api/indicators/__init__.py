"""Indicator values as published or entered, each with its source and origin."""
