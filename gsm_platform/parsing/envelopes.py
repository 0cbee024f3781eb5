"""Envelope-level damage, found before any body is read: a line that is not JSON, a missing or
unknown header field, a fetch time after the landing. Such an envelope is quarantined whole;
`envelope_status` (a temp table) says which envelopes of the slice the parsers read."""

from __future__ import annotations

import duckdb

from gsm_platform.envelopes import REFUSED_PREFIX
from gsm_platform.parsing import PARSERS
from gsm_platform.parsing.sql import ENVELOPE
from gsm_platform.vocabulary import ENVELOPE_KINDS, WIB_OFFSET_HOURS

# an envelope fetched later than this after its file was landed has a fetch time that cannot be
# right (a wrong clock, a wrong year): it is quarantined, never counted as a snapshot of the future
FETCHED_AFTER_LANDING_SLACK = "INTERVAL 1 DAY"


def envelope_checks(conn: duckdb.DuckDBPyConnection, scope: str) -> None:
    """Envelope-level damage: not JSON, missing or unknown header fields, a fetch time after the
    landing. The header was parsed at landing (a line that is not a JSON object has no platform
    there), so the text is parsed again only for the few envelopes whose header is missing, to
    say why. An envelope without a body is found when the body is parsed."""
    names = ", ".join(PARSERS)
    platforms = ", ".join(f"'{p}'" for p in PARSERS)
    kinds, kind_names = ", ".join(f"'{k}'" for k in ENVELOPE_KINDS), " or ".join(ENVELOPE_KINDS)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE envelope_status AS
        SELECT e.source_file, e.source_line, e.platform, e.kind, e.account_id, e.fetched_at, e.fetch_date,
          CASE
            WHEN e.platform IS NULL AND starts_with(e.text, '{REFUSED_PREFIX}')
              THEN substr(e.text, {len(REFUSED_PREFIX) + 1})
            WHEN e.platform IS NULL AND NOT json_valid(e.text) THEN 'line is not valid JSON (truncated or corrupt file)'
            WHEN e.platform IS NULL AND json_type(e.text) <> 'OBJECT' THEN 'envelope is not a JSON object'
            WHEN e.platform IS NULL THEN 'envelope has no "platform" (expected one of {names})'
            WHEN e.platform NOT IN ({platforms})
              THEN 'unknown platform "' || e.platform || '" (expected one of {names})'
            WHEN e.kind IS NULL THEN 'envelope has no "kind" (expected {kind_names})'
            WHEN e.kind NOT IN ({kinds}) THEN 'unknown kind "' || e.kind || '" (expected {kind_names})'
            WHEN e.account_id IS NULL THEN 'envelope has no "account_id"'
            WHEN e.fetched_at IS NULL AND json_extract_string(e.text, '$.fetched_at') IS NULL
              THEN 'envelope has no "fetched_at"'
            WHEN e.fetched_at IS NULL THEN 'fetched_at "' || json_extract_string(e.text, '$.fetched_at')
                                           || '" is not an ISO-8601 time with an offset'
            WHEN e.fetched_at > f.landed_at + INTERVAL {WIB_OFFSET_HOURS} HOURS + {FETCHED_AFTER_LANDING_SLACK}
              THEN 'fetched_at ' || strftime(e.fetched_at, '%Y-%m-%d %H:%M') || ' WIB is after the file was landed ('
                   || strftime(f.landed_at + INTERVAL {WIB_OFFSET_HOURS} HOURS, '%Y-%m-%d %H:%M')
                   || ' WIB): the fetch time cannot be right'
          END AS reason
        FROM raw.envelopes e LEFT JOIN clean.landed_files f ON f.path = e.source_file
        WHERE {scope.replace("fetch_date", "e.fetch_date")}
        """
    )
    conn.execute(
        f"""
        INSERT INTO clean.quarantine (source_file, source_line, source_position, platform, kind, account_id,
                                      fetch_date, reason, raw, record_kind, post_id)
        SELECT s.source_file, s.source_line, NULL, s.platform, s.kind, s.account_id, s.fetch_date, s.reason,
               e.text, '{ENVELOPE}', NULL
        FROM envelope_status s JOIN raw.envelopes e USING (source_file, source_line)
        WHERE s.reason IS NOT NULL
        """
    )
