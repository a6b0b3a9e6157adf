"""The cache key: one hex digest that is equal exactly when two requests would be the same request.

    sha256( UTF-8 of canonical JSON {"v": 2, "task": task, "messages": messages,
                                     "settings": settings, "model": model} )

Canonical JSON is ``json.dumps`` with sorted keys at every depth, ``(",", ":")`` separators,
non-ASCII as is and NaN/Infinity refused, so the digest does not depend on dict order, on the
platform or on the Python version. What the caller puts in:

- ``task``: ``"casual"``, ``"structure"`` or ``"bpm"`` (a new task picks a new name).
- ``messages``: the chat messages exactly as sent. They hold everything of the item the model
  sees, and an answer is the task's clean-up of the model's reply alone, so the item itself is
  not hashed: the same music data under another id, or with a field the prompt does not use,
  is answered from the cache. An edited prompt file changes the messages, so it misses.
- ``settings``: everything else that changes the reply: temperature, max_tokens, seed,
  reasoning. Numbers must keep one type (``1.0`` and ``1`` are different keys).
- ``model``: the model the user asked for, or the pool a random pick comes from with its seed
  (then an answer from any model of the pool serves).

``"v"`` is the key format's version: changing what goes in bumps it, so old entries stop
matching instead of matching wrongly. Version 1 hashed the item and a digest of the messages:
two dumps and two digests a request, where one of each says the same.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

KEY_VERSION = 2


def cache_key(task: str, messages: list[dict[str, Any]], settings: dict[str, Any], model: str | None) -> str:
    """The sha256 hex digest of the request's canonical JSON (see the module docstring).

    Raises TypeError for a value JSON cannot hold and ValueError for NaN or infinity: a key
    built from ``str(value)`` could make two different requests equal."""
    document = {"v": KEY_VERSION, "task": task, "messages": messages, "settings": settings, "model": model}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()  # lone surrogates too
