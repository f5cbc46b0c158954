"""Reading input files with errors that name the file (and line): one place for every problem
(:func:`read_text`, :func:`read_json`, typed JSON fields :class:`JsonFields`, CSV records);
writing JSON readably (:func:`compact_json`, :func:`json_number`) and output files all-or-nothing
(:func:`check_outputs` before any work, then :func:`commit_outputs`)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from schedgym.core.errors import InstanceFormatError

T = TypeVar("T")


def read_text(path: str | Path) -> str:
    """A text file's content; a missing or unreadable file becomes one ``InstanceFormatError``."""
    path = Path(path)
    try:
        return path.read_text()
    except FileNotFoundError:
        raise InstanceFormatError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceFormatError(path, f"cannot read: {exc}") from None


def read_json(path: str | Path) -> Any:
    """A JSON file's content; bad JSON becomes an ``InstanceFormatError`` naming the line."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InstanceFormatError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except (RecursionError, ValueError) as exc:  # nested too deep; an integer of > 4300 digits
        raise InstanceFormatError(path, f"invalid JSON: {str(exc).split(';')[0]}") from None


def read_records_csv(
    path: str | Path, columns: Sequence[str], parse: Callable[[dict[str, str]], T]
) -> list[T]:
    """Rows of a CSV whose header must be exactly ``columns``, each turned into a record by
    ``parse``; a wrong header or a row ``parse`` rejects (TypeError, ValueError, KeyError)
    becomes an ``InstanceFormatError`` naming the file and line."""
    path = Path(path)
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or tuple(reader.fieldnames) != tuple(columns):
            raise InstanceFormatError(path, f"expected the header {','.join(columns)}", 1)
        records = []
        for lineno, row in enumerate(reader, start=2):
            try:
                records.append(parse(row))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise InstanceFormatError(path, f"malformed row ({exc})", lineno) from None
    return records


def optional_float(cell: str) -> float | None:
    """A CSV cell as a float, ``None`` when empty."""
    return float(cell) if cell.strip() else None


# ------------------------------------------------------------------ outputs (all or nothing)
#
# Every command that writes files checks all of its output paths first (check_outputs), before
# any solving, then writes them through commit_outputs: each output into a temporary file in its
# target folder, all renamed over their targets only when every one was written. Every failure
# path removes every temporary (and any folder commit_outputs created).


def _real(path: Path) -> Path:
    """``path`` with symlinks resolved (a dangling one resolves to the file it would create)."""
    return Path(os.path.realpath(path))


def _labelled(paths: Mapping[str, Path | None] | Iterable[Path | None]) -> list[tuple[str, Path]]:
    items = paths.items() if isinstance(paths, Mapping) else ((str(p), p) for p in paths)
    return [(label, Path(path)) for label, path in items if path is not None]


def _probe_writable(shown: Path, folder: Path, probed: dict[Path, str | None]) -> None:
    """Raise unless a file can be created in ``folder`` (tried for real: permissions, read-only
    file systems and root's exemptions all show)."""
    if folder not in probed:
        try:
            fd, name = tempfile.mkstemp(dir=folder, prefix=".schedgym-check-")
            os.close(fd)
            os.unlink(name)
            probed[folder] = None
        except OSError as exc:
            probed[folder] = exc.strerror or str(exc)
    problem = probed[folder]
    if problem is not None:
        raise InstanceFormatError(shown, f"cannot write in the folder {str(folder)!r}: {problem}")


def check_outputs(
    files: Mapping[str, Path | None] | Iterable[Path | None],
    folders: Mapping[str, Path | None] | Iterable[Path | None] = (),
    inputs: Mapping[str, Path | None] | Iterable[Path | None] = (),
) -> None:
    """Check output paths before any work; raise :class:`InstanceFormatError` naming the first
    bad one. ``None`` entries are skipped; a mapping's keys (e.g. ``"--out"``) name the paths in
    messages.

    * each of ``files`` is not a directory and not a special file (FIFO, device, socket: it
      would be replaced by a regular file), and its folder exists and is writable, or is one of
      ``folders``, or is missing in an existing writable folder (it is then created, like
      ``folders``);
    * each of ``folders`` (such as ``leaderboard --plots``) is an existing writable directory,
      or is missing in an existing writable folder (:func:`commit_outputs` then creates it);
    * no two outputs are the same file (symlinks and hard links resolved), and no output is
      one of ``inputs`` (files read by the command, such as the instance or the database).
    """
    probed: dict[Path, str | None] = {}
    taken: dict[Path, str] = {}
    nodes: dict[tuple[int, int], str] = {}
    for label, path in _labelled(inputs):
        if os.path.exists(path):
            taken[_real(path)] = f"{label} (an input)"
            info = os.stat(path)
            nodes[(info.st_dev, info.st_ino)] = f"{label} (an input)"
    created: set[Path] = set()
    for label, folder in _labelled(folders):
        real = _real(folder)
        if real in taken:
            raise InstanceFormatError(folder, f"{label} and {taken[real]} name the same path")
        taken[real] = label
        if os.path.exists(real):
            if not real.is_dir():
                raise InstanceFormatError(folder, f"{label}: not a directory")
            _probe_writable(folder, real, probed)
        elif not real.parent.is_dir():
            raise InstanceFormatError(
                folder, f"no such directory {str(folder.parent)!r} to create {label} in"
            )
        else:
            _probe_writable(folder, real.parent, probed)
            created.add(real)
    for label, path in _labelled(files):
        real = _real(path)
        if real in taken:
            raise InstanceFormatError(path, f"{label} and {taken[real]} name the same file")
        taken[real] = label
        if os.path.exists(real):
            info = os.stat(real)
            if stat.S_ISDIR(info.st_mode):
                raise InstanceFormatError(path, f"{label}: is a directory")
            if not stat.S_ISREG(info.st_mode):
                raise InstanceFormatError(
                    path, f"{label}: not a regular file (a FIFO, device or socket); not replaced"
                )
            node = (info.st_dev, info.st_ino)
            if node in nodes:
                raise InstanceFormatError(path, f"{label} and {nodes[node]} name the same file")
            nodes[node] = label
        if real.parent in created:
            continue
        if not real.parent.exists() and real.parent.parent.is_dir():
            # a missing folder of an output file is created, like an output folder
            _probe_writable(path, real.parent.parent, probed)
            created.add(real.parent)
            continue
        if not real.parent.is_dir():
            raise InstanceFormatError(
                path, f"no such directory {str(path.parent)!r} for the output {label}"
            )
        _probe_writable(path, real.parent, probed)


def _backup_link(target: Path) -> Path | None:
    """A new hard link to ``target`` beside it (to restore it), or ``None`` where links fail."""
    for _ in range(8):
        backup = target.with_name(f".{target.name}.{os.urandom(4).hex()}.bak")
        try:
            os.link(target, backup)
            return backup
        except FileExistsError:
            continue
        except OSError:
            return None
    return None


def _replace_all(staged: Sequence[tuple[Path, Path]]) -> None:
    """Rename each temporary over its target; if one rename fails, put back the targets already
    replaced (from hard-link backups) before raising."""
    done: list[tuple[Path, bool, Path | None]] = []  # target, existed, backup
    try:
        for tmp, target in staged:
            existed = os.path.lexists(target)
            if existed and not stat.S_ISREG(os.stat(target).st_mode):
                raise InstanceFormatError(target, "no longer a regular file; not replaced")
            backup = _backup_link(target) if existed else None
            done.append((target, existed, backup))
            try:
                os.replace(tmp, target)
            except OSError as exc:
                message = f"cannot replace: {exc.strerror or exc}"
                raise InstanceFormatError(target, message) from None
    except BaseException:
        for target, existed, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                elif not existed:
                    target.unlink(missing_ok=True)
        raise
    finally:
        for _, _, backup in done:
            if backup is not None:
                with contextlib.suppress(OSError):
                    backup.unlink(missing_ok=True)


def commit_outputs(
    writers: Mapping[Path, Callable[[Path], None]],
    folders: Iterable[Path] = (),
    inputs: Iterable[Path | None] = (),
) -> None:
    """Write each output through a temporary file beside it, then rename them all.

    ``writers`` maps a target path to a function that writes a given path; ``folders`` are
    output folders to create if missing (their parent must exist). The targets are checked
    first (:func:`check_outputs`, with ``inputs``). If any writer or rename fails, every
    temporary file is removed, targets already replaced are restored and created folders
    removed: no partial outputs. An ``OSError`` becomes an :class:`InstanceFormatError` naming
    the file.
    """
    folders = list(folders)
    check_outputs(list(writers), folders, inputs)
    known = {_real(folder) for folder in folders}
    for target in writers:  # missing folders of output files (their parent exists: checked)
        parent = _real(target).parent
        if not parent.exists() and parent not in known:
            folders.append(parent)
            known.add(parent)
    staged: list[tuple[Path, Path]] = []
    created: list[Path] = []
    umask = os.umask(0)
    os.umask(umask)
    current = Path(".")
    try:
        for folder in map(_real, folders):
            if not folder.exists():
                current = folder
                folder.mkdir()
                created.append(folder)
        for target, write in writers.items():
            current, real = target, _real(target)
            fd, tmp_name = tempfile.mkstemp(
                dir=real.parent, prefix=f".{real.name}.", suffix=f".tmp{real.suffix}"
            )
            os.close(fd)
            staged.append((Path(tmp_name), real))
            write(Path(tmp_name))
            os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        _replace_all(staged)
    except BaseException as exc:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            message = f"cannot write the output: {exc.strerror or exc}"
            raise InstanceFormatError(current, message) from None
        raise


def compact_json(data: Any, indent: int = 1, level: int = 0) -> str:
    """JSON text with one item per line, except lists of scalars and small flat objects, which
    stay on one line (matrices read as rows)."""
    pad, inner = " " * (indent * level), " " * (indent * (level + 1))
    flat = not isinstance(data, list | dict) or (
        all(
            not isinstance(v, list | dict)
            for v in (data.values() if isinstance(data, dict) else data)
        )
    )
    if flat:
        return json.dumps(data)
    if isinstance(data, list):
        items = [inner + compact_json(v, indent, level + 1) for v in data]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    items = [
        inner + json.dumps(str(k)) + ": " + compact_json(v, indent, level + 1)
        for k, v in data.items()
    ]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def json_number(value: float) -> int | float:
    """A number for JSON: an ``int`` when it is a whole number that a float holds exactly
    (``3.0`` is written ``3``), else the float."""
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def checked_input_file(
    source: str | Path,
    limit: int,
    error: Callable[[str | Path, str], Exception],
    missing: str = "no such file",
) -> os.stat_result:
    """``os.stat`` of ``source`` if it is a regular, non-empty file of at most ``limit`` bytes;
    otherwise ``error(source, reason)`` is raised. The file is never opened, so a FIFO cannot
    block the caller."""
    try:
        info = os.stat(source)
    except (FileNotFoundError, NotADirectoryError):
        raise error(source, missing) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise error(source, f"cannot read the checkpoint ({reason})") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(source, "is a directory, not a checkpoint file")
    if not stat.S_ISREG(info.st_mode):
        raise error(source, "not a regular file")
    if info.st_size == 0:
        raise error(source, "empty file, not a checkpoint")
    if info.st_size > limit:
        raise error(source, f"{info.st_size} bytes, over the {limit}-byte limit")
    return info
