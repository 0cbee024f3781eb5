"""Partitions. Raw pulls and cleaned snapshots are daily by fetch day (WIB): pulls happen
daily, and a new day of pulls re-cleans only that day. The award metrics and rankings are per
edition: a percentile needs the whole year at once, so an edition is the unit of work."""

import dagster as dg

FETCH_DAYS_START = "2018-01-01"

fetch_days = dg.DailyPartitionsDefinition(start_date=FETCH_DAYS_START, timezone="Asia/Jakarta", end_offset=1)
editions = dg.DynamicPartitionsDefinition(name="edition")
