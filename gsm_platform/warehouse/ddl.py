"""The warehouse's own tables (schemas registry, raw, clean; the contract is docs/warehouse.md),
created if missing on every read-write connection. dbt owns the models in `main`."""

DDL = """
CREATE SCHEMA IF NOT EXISTS registry;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS clean;
CREATE TABLE IF NOT EXISTS clean.landed_files (
    path VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, bytes BIGINT NOT NULL, source VARCHAR NOT NULL,
    original_path VARCHAR, landed_at TIMESTAMP NOT NULL, envelopes INTEGER);
CREATE TABLE IF NOT EXISTS raw.envelopes (
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, platform VARCHAR, kind VARCHAR,
    account_id VARCHAR, fetched_at TIMESTAMP, fetch_date DATE, text VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS clean.post_snapshots (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
    published_at TIMESTAMP NOT NULL, fetched_at TIMESTAMP NOT NULL, fetch_date DATE NOT NULL,
    media_kind VARCHAR NOT NULL, likes BIGINT, comments BIGINT, shares BIGINT, quotes BIGINT,
    interactions BIGINT, interactions_hidden BOOLEAN NOT NULL, views BIGINT,
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clean.follower_snapshots (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL,
    fetch_date DATE NOT NULL, followers BIGINT NOT NULL, origin VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER);
-- what the outlook reads of a post beside its metrics: one row per post and cleaning slice
-- (gsm_platform/parsing/details.py), never per snapshot
CREATE TABLE IF NOT EXISTS clean.post_details (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
    fetched_at TIMESTAMP NOT NULL, fetch_date DATE NOT NULL, permalink VARCHAR, mentions VARCHAR[],
    collaborators VARCHAR[], media_ref VARCHAR,
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clean.quarantine (
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER,
    platform VARCHAR, kind VARCHAR, account_id VARCHAR, fetch_date DATE, reason VARCHAR NOT NULL,
    raw VARCHAR, record_kind VARCHAR NOT NULL, post_id VARCHAR);
CREATE TABLE IF NOT EXISTS clean.cleaned_files (source_file VARCHAR NOT NULL, fetch_date DATE);
CREATE TABLE IF NOT EXISTS clean.reconciliation (
    fetch_date DATE, platform VARCHAR, raw_records BIGINT, clean BIGINT, duplicates BIGINT, quarantined BIGINT,
    record_kind VARCHAR);
-- what each account's last cleaning of a scope (its fetch months) held: assets/account_pulls.py
CREATE TABLE IF NOT EXISTS clean.account_pulls (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, scope VARCHAR NOT NULL,
    envelopes BIGINT NOT NULL, post_snapshots BIGINT NOT NULL, posts BIGINT NOT NULL,
    follower_snapshots BIGINT NOT NULL, followers_last BIGINT, quarantined BIGINT NOT NULL,
    first_fetch TIMESTAMP, last_fetch TIMESTAMP, PRIMARY KEY (platform, account_id, scope));
-- columns added after the first release: a warehouse made before them gets them (at the end,
-- where the CREATE above puts them too); writers name their columns
ALTER TABLE clean.follower_snapshots ADD COLUMN IF NOT EXISTS source_position INTEGER;
ALTER TABLE clean.quarantine ADD COLUMN IF NOT EXISTS post_id VARCHAR;
ALTER TABLE clean.follower_snapshots ADD COLUMN IF NOT EXISTS handle VARCHAR;
ALTER TABLE clean.reconciliation ADD COLUMN IF NOT EXISTS record_kind VARCHAR;
UPDATE clean.reconciliation SET record_kind = 'post' WHERE record_kind IS NULL;
"""
