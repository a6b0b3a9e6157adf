"""Groq's Batch API as a run mode: a generation command's items go out as batches at half the
price and come back, possibly hours later, as the synchronous batch's lines.

``job`` runs a job (submit, wait, collect, resume) and serves ``adp batch``; ``request_files``
turns items into request files under Groq's limits, with the dispatcher's request bodies;
``collect`` turns result files into lines, with the dispatcher's reply check, prices and
finishing; ``state`` is the state file beside ``-o`` (which ``runs.lines`` writes); ``estimate``
is the dry run; ``events`` is the typed data a run reports. The SDK side is
``adp_cli.transports.groq_files``.
"""
