"""Run modes: how a command's items reach the dispatcher (``oneshot``, ``dry_run``, the
synchronous ``stream``, the ``batch_api``), and the lines and ``-o`` file they all write
(``lines``)."""
