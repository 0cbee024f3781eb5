"""How `gsm` runs Dagster jobs in process, in the Dagster instance of GSM_HOME, as runs of the
workspace's code location (origin.py).

- pipeline.py: what `gsm materialize`, `update` and `backfill` run: which jobs, in which order,
  over which partitions, and the lines the terminal shows of them.
- months.py: which fetch months a command cleans.
- launch.py: launching one job: the log file gets Dagster's and dbt's output, a failed run is
  said in a few lines.
- origin.py: the code-location origin every run gets, as the UI's own runs.
- recovery.py: the runs a dead process left, the wait for the `warehouse` pool.
- watch.py: Ctrl-C, SIGTERM and pool waits while a run executes.
- failures.py: a full disk and DuckDB out of memory, in words a person can act on.

This is the top of the layers: it may import assets/ (the jobs, the partitions) and
gsm_platform/definitions.py; nothing below imports it (tests/test_layers.py).
"""
