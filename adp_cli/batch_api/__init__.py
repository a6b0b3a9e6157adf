"""Groq's Batch API as a run mode: a generation command's items go out as batches at half the
price and come back, possibly hours later, as the synchronous batch's lines.

``job`` runs a job (submit, wait, collect, resume) and serves ``adp batch``; ``request_files``
turns items into request files under Groq's limits; ``results`` turns result files into lines;
``state`` is the state file beside ``-o``; ``output`` reads and appends ``-o``; ``estimate`` is
the dry run; ``events`` is the typed data a run reports. The SDK side is
``adp_cli.providers.groq_batch``.
"""
