"""Data contracts and versioned, all-or-nothing ingestion."""
