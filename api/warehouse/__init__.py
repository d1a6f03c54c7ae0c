"""Reading the warehouse for analyses: which release, and its rows as a Polars frame."""
