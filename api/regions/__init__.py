"""Regions: the Kemendagri master list, BPS codes, code history and search."""
