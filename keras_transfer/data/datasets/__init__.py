"""Offline datasets: one module per dataset, each with a `load_*` function."""
