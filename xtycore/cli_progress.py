"""Progress on stderr for the command line's long writes (``xty catalog import``, ``xty import``)."""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Callable

import click


def progress_bar(stack: contextlib.ExitStack, label: str, smallest: int) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback drawing a bar on stderr once ``total`` reaches ``smallest``.

    The bar is opened on the first call that needs one and closed with ``stack``.
    """
    bars: list[Any] = []

    def progress(done: int, total: int) -> None:
        if total < smallest:
            return
        if not bars:
            bars.append(stack.enter_context(click.progressbar(length=total, label=label, file=sys.stderr)))
        bars[0].update(1)

    return progress
