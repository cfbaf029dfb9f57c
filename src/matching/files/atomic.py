"""Writing a set of files all or none, and the names a set may use.

:func:`atomic_write` writes every file into a staging folder beside its target, then
swaps them all in; a failure at any point (a full disk, a read-only file system, an
unwritable folder, a bug in a writer) puts back every file already replaced, so the
previous run's files are left exactly as they were. Other files in the folders are
never touched. Problems are :class:`~matching.MatchingError` naming the path.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from ..errors import MatchingError

__all__ = ["atomic_write", "check_names", "as_path"]

log = logging.getLogger("matching")


def atomic_write(targets: Mapping[Path, Callable[[Path], None]]) -> list[Path]:
    """Write a set of files all or none: every file into a staging folder, then swapped in.

    Each writer is called with a temporary path to write. Only when every file is
    written are the targets replaced (each old file moved aside, the new one renamed
    into place); a failure at any point puts the moved files back, so the previous
    outputs are left exactly as they were. Other files in the folders are never
    touched. An unwritable, read-only or full destination is a
    :class:`~matching.MatchingError` naming the path; cleaning up never raises over it.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in atomic_write({folder / "a.txt": lambda t: t.write_text("a"),
    ...                                folder / "b.txt": lambda t: t.write_text("b")})]
    ['a.txt', 'b.txt']
    """
    paths = [as_path(p, "file to write") for p in targets]
    stage = _Staging()
    where = paths[0] if paths else None
    try:
        for path, writer in zip(paths, targets.values()):
            where = path
            if path.is_dir():
                raise MatchingError(f"cannot write '{path}': it is a folder, not a file")
            if path.exists() and not path.is_file():
                raise MatchingError(f"cannot write '{path}': it is a device, pipe or socket, not a regular file")
            writer(stage.file(path))
        for path in paths:
            where = path
            stage.swap(path)
        stage.done = True
    except OSError as exc:
        detail = "" if exc.filename in (None, str(where)) or ".matching-staging-" in str(exc.filename) \
            else f" ({exc.filename})"
        raise MatchingError(f"cannot write '{where}': {exc.strerror or exc}{detail}" + stage.rollback()) from exc
    except BaseException:
        note = stage.rollback()
        if note:
            log.error("writing '%s' failed%s", where, note)
        raise
    finally:
        stage.cleanup()
    return paths


class _Staging:
    """Staging folders (one per target folder) and the swaps made, for :func:`atomic_write`."""

    def __init__(self):
        self.folders: dict[Path, Path] = {}
        self.created: list[Path] = []
        self.staged: dict[Path, Path] = {}
        self.swapped: list[tuple[Path, Path | None]] = []
        self.done = False
        self.keep = False

    def file(self, path: Path) -> Path:
        parent = path.parent
        if parent not in self.folders:
            missing = [d for d in (parent, *parent.parents) if not d.exists()]
            parent.mkdir(parents=True, exist_ok=True)
            self.created += missing  # deepest first: removed in this order on failure
            self.folders[parent] = parent / f".matching-staging-{uuid.uuid4().hex[:12]}"
            self.folders[parent].mkdir()
        self.staged[path] = self.folders[parent] / f"new-{len(self.staged)}"
        return self.staged[path]

    def swap(self, path: Path) -> None:
        old = None
        if path.exists() or path.is_symlink():
            old = self.folders[path.parent] / f"old-{len(self.swapped)}"
            os.replace(path, old)
        self.swapped.append((path, old))
        os.replace(self.staged[path], path)

    def rollback(self) -> str:
        """Undo the swaps made; a note for the error message if some could not be undone."""
        lost = []
        for path, old in reversed(self.swapped):
            try:
                if old is not None:
                    os.replace(old, path)
                elif path.exists():
                    path.unlink()
            except OSError:
                lost.append((path, old))
        self.swapped = []
        if not lost:
            return ""
        self.keep = True  # the earlier files are still in the staging folder: never delete it
        path, old = lost[0]
        return f" (and the earlier '{path}' could not be put back; it is kept as '{old}')"

    def cleanup(self) -> None:
        """Remove the staging folders (and folders made for a set that failed); never raises."""
        if self.keep:
            return
        leftovers = list(self.folders.values()) + ([] if self.done else self.created)
        for folder in leftovers:
            try:
                if folder in self.created:
                    folder.rmdir()
                else:
                    shutil.rmtree(folder, ignore_errors=True)
            except Exception:  # noqa: BLE001 (cleanup must never hide the real error)
                log.warning("could not remove the temporary folder '%s'", folder)


def as_path(dest, what: str) -> Path:
    """``dest`` as a Path, or a MatchingError (``None``, a number, an empty text)."""
    if isinstance(dest, (str, os.PathLike)) and str(os.fspath(dest)).strip():
        path = Path(os.fspath(dest))
        if "\x00" in str(path):
            raise MatchingError(f"the {what} path {str(path)!r} holds a NUL character")
        return path
    raise MatchingError(f"the {what} must be a path (str or os.PathLike); got {dest!r}")


_BAD_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|\[\]]')


def check_names(names: Iterable[str], *, sheets: bool = False) -> None:
    """Table names must be usable as file names (and Excel sheet titles): no ``/``, ``\\``,
    ``..``, ``:*?"<>|[]`` or control characters, not blank, distinct ignoring case,
    and at most 31 characters for a sheet."""
    seen: dict[str, str] = {}
    for name in names:
        problem = None
        if not isinstance(name, str) or not name.strip() or name.strip(" .") == "" or name != name.strip():
            problem = "is blank, only dots or has spaces around it"
        elif _BAD_NAME.search(name) or ".." in name:
            problem = 'holds a character a file or sheet name cannot hold (/ \\ : * ? " < > | [ ] or "..")'
        elif sheets and len(name) > 31:
            problem = "is longer than the 31 characters of an Excel sheet title"
        elif name.casefold() in seen:
            problem = f"is the same as table '{seen[name.casefold()]}' ignoring case"
        if problem:
            raise MatchingError(f"table name {name!r} {problem}; rename the table")
        seen[name.casefold()] = name
