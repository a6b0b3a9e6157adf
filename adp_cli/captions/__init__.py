"""Captions a dataset can trust: checking a caption against its item, evaluating a whole run,
and reading items from CSV, all offline and deterministic.

- ``forms``: the word forms in which captions and tags are compared.
- ``vocab``: the shipped genre and instrument vocabularies (``data/``), compiled once.
- ``check``: ``check(phrase, item)`` -> ``Check`` (recall, missing, invented, tempo mismatch).
- ``evaluate``: a run's result lines joined to their items and summed up in a ``Report``.
- ``csv_rows``: a CSV file's rows as wizard documents, with kept columns beside them.
"""

from __future__ import annotations

from adp_cli.captions.check import Check, check
from adp_cli.captions.csv_rows import CsvRow, RowError, csv_documents
from adp_cli.captions.evaluate import Evaluation, Report, evaluate

__all__ = ["Check", "CsvRow", "Evaluation", "Report", "RowError", "check", "csv_documents", "evaluate"]
