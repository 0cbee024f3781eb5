"""gsm-platform: the Government Social Media award as a Dagster + dbt-duckdb data platform."""

__version__ = "0.1.0"
