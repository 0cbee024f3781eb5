"""Dagster asset definitions, by layer: registry -> landing -> raw pulls -> cleaned -> dbt
award metrics -> rankings (-> reports)."""
