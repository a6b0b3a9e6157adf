"""Captions a dataset can trust: checking a caption against its item and evaluating a whole
run, offline and deterministic. (Reading items from CSV is ``adp_cli.csv_rows``.)

- ``forms``: the word forms in which captions and tags are compared.
- ``vocab``: the shipped genre and instrument vocabularies (``data/``), compiled once.
- ``check``: ``check(phrase, item)`` -> ``Check`` (recall, missing, invented, tempo mismatch).
- ``evaluate``: a run's result lines joined to their items and summed up in a ``Report``.
"""

from __future__ import annotations

from adp_cli.captions.check import Check, check
from adp_cli.captions.evaluate import Evaluation, Report, evaluate

__all__ = ["Check", "Evaluation", "Report", "check", "evaluate"]
