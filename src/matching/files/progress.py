"""Progress bars for long steps (explanations, exports, reports), quiet by default off a terminal.

It lives in the bottom stage so that every stage may report progress. A bar is shown
only when progress is on and the step lasts more than a second (``tqdm``'s ``delay``):
on by default when stderr is a terminal or inside a notebook kernel; off when
``progress=False`` is passed (or in :func:`scope`), and never in captured output.

Examples
--------
>>> with scope(False):
...     with bar(10, "pricing") as b:
...         b.update(10)
>>> enabled(False), enabled(True)
(False, True)
"""

from __future__ import annotations

import contextlib
import contextvars
import sys

__all__ = ["bar", "enabled", "scope", "DELAY"]

#: Seconds a step must run before its bar appears.
DELAY = 1.0
_FLAG: contextvars.ContextVar = contextvars.ContextVar("matching_progress", default=None)


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def enabled(flag: bool | None = None) -> bool:
    """Whether bars show: ``flag`` if given, else the innermost :func:`scope`, else
    whether stderr is a terminal (or a notebook kernel runs)."""
    if flag is None:
        flag = _FLAG.get()
    return _interactive() if flag is None else bool(flag)


@contextlib.contextmanager
def scope(flag: bool | None):
    """Within the block, :func:`bar` follows ``flag`` (None: automatic)."""
    token = _FLAG.set(flag)
    try:
        yield
    finally:
        _FLAG.reset(token)


class _Quiet:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def bar(total: int, desc: str, *, flag: bool | None = None, unit: str = "it"):
    """A ``tqdm`` bar of ``total`` steps (a context manager with ``update(n)``), or a quiet stand-in."""
    if not enabled(flag) or total <= 0:
        return _Quiet()
    if "ipykernel" in sys.modules:
        try:
            import ipywidgets  # noqa: F401

            from tqdm.notebook import tqdm
        except ImportError:
            from tqdm import tqdm
    else:
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False, delay=DELAY, file=sys.stderr)
