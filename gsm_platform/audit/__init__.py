"""What the jury and auditors read, from the warehouse as it is: `gsm explain` (explain.py: one
score down to the landed files), `gsm report` (report.py: the static HTML report), `gsm jury`
(jury.py: the jury's decisions, validated against the ranking) and `gsm quality` (quality.py:
the ledgers, the quarantine and every layer's checks).

Above checks/ in the layers: quality.py runs the same plain check functions as the Dagster
asset checks, so the command line and the UI never disagree. Nothing in the library below
imports this package (tests/test_layers.py).
"""
