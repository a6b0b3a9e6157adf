"""Byte streams put back together: telling one input shape from another reads some of it, and
the reader of that shape must see the input from its first byte."""

from __future__ import annotations

import io
from typing import Any


class Rejoined(io.RawIOBase):
    """The bytes already read, then the rest of the stream: the input whole again, read as the
    stream delivers it (``read1``: what has arrived, never waiting for a full buffer, so a pipe
    is read line by line as its writer sends). Closing it closes the stream."""

    def __init__(self, start: bytes, rest: io.BufferedReader) -> None:
        super().__init__()
        self._start = memoryview(start)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._start:
            size = min(len(buffer), len(self._start))
            buffer[:size] = self._start[:size]
            self._start = self._start[size:]
            return size
        data = self._rest.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._rest.close()
        super().close()
