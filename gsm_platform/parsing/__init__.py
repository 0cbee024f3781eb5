"""Parsing landed envelopes into the unified cleaned tables, one parser module per platform.

Everything runs in DuckDB SQL over `raw.envelopes`: each platform module (facebook.py,
instagram.py, x.py, youtube.py, tiktok.py) gives the typed struct of its response body (parsed
once with `from_json`) and the expressions that map its fields to the unified columns; the
shared path applies them. What cannot be used goes to `clean.quarantine` with a reason a person
can act on, and three ledgers balance per fetch day and platform in `clean.reconciliation`:

  envelopes      read = parsed + quarantined whole
  post records   read = clean + duplicates + quarantined   (read: the length of each page's list)
  profile records read = follower snapshots + quarantined  (read: the accounts each body lists)

The checks recount what was read from raw.envelopes and the bodies themselves
(checks/cleaned.py), so an envelope or record that reaches no table fails them.

The modules: cleaning.py (the slices and their transactions: `clean_months`, `clean_window`,
`reconciliation`), envelopes.py (envelope-level damage), records.py (one platform's records:
bodies.py, followers.py, posts.py), ledgers.py (the three ledgers), guard.py (a slice that
lost records is not committed), sql.py (the SQL snippets they share). This file holds the
registry of platform parsers only.
"""

from __future__ import annotations

from types import ModuleType

from gsm_platform.parsing import facebook, instagram, tiktok, x, youtube

PARSERS: dict[str, ModuleType] = {m.PLATFORM: m for m in (facebook, instagram, x, youtube, tiktok)}

__all__ = ["PARSERS"]
