"""Seeds: every random draw of the generator comes from a numpy Generator seeded from the
seed and a blake2b hash of (purpose, platform, account id), never Python's salted hash()."""

from __future__ import annotations

import hashlib

import numpy as np


def _h64(*parts: object) -> int:
    """A stable 64-bit hash of the parts (blake2b; never Python's salted hash())."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, _h64(*parts)]))
