"""Data quality: Dagster asset checks on every layer and the Great Expectations suites."""
