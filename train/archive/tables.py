"""The archive's tables as CSV files, and the one way this room writes a file.

Each table is a UTF-8 CSV file (comma-separated, a header row of the column
names in :data:`TABLES`, rows quoted where needed); an empty cell is a value
the archive does not have (an article with no outlet, a quote with no
speaker). Shares are fractions with 4 decimals, booleans ``true``/``false``.
Column names are stable: the README documents them.
"""
from __future__ import annotations

import csv
import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from qawl.data.archive import (QUOTE_COLUMNS, SPEAKER_COLUMNS, Archive, group_columns, group_rows, quote_rows,
                               speaker_group_columns, speaker_group_rows, speaker_rows)

#: file stem -> (columns, rows of an archive)
TABLES: dict[str, tuple[tuple[str, ...], Callable[[Archive], Iterable[dict]]]] = {
    "speakers": (SPEAKER_COLUMNS, speaker_rows),
    "outlets": (group_columns("outlet"), functools.partial(group_rows, group="outlet")),
    "months": (group_columns("month"), functools.partial(group_rows, group="month")),
    "categories": (group_columns("category"), functools.partial(group_rows, group="category")),
    "speakers_by_outlet": (speaker_group_columns("outlet"), functools.partial(speaker_group_rows, group="outlet")),
    "speakers_by_month": (speaker_group_columns("month"), functools.partial(speaker_group_rows, group="month")),
    "speakers_by_category": (speaker_group_columns("category"),
                             functools.partial(speaker_group_rows, group="category")),
    "quotes": (QUOTE_COLUMNS, quote_rows),
}


def write_atomically(path: Path, write: Callable[[TextIO], None]) -> Path:
    """Call ``write`` on a temporary UTF-8 file in ``path``'s folder, then
    rename it to ``path``: a reader never sees half a file, and a failure
    leaves nothing behind (nor changes an older ``path``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # named by this process, made with the umask's permissions (mkstemp's are owner-only)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def csv_value(value: object) -> str:
    """A cell: '' for None, ``true``/``false``, a float to 4 decimals, else the text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def write_table(path: Path, columns: tuple[str, ...], rows: Iterable[dict]) -> Path:
    """One CSV file: the header, then each row's values in ``columns`` order."""
    def write(fh: TextIO) -> None:
        out = csv.writer(fh)
        out.writerow(columns)
        out.writerows([csv_value(row[c]) for c in columns] for row in rows)

    return write_atomically(path, write)


def write_tables(archive: Archive, folder: Path) -> list[Path]:
    """Every table of :data:`TABLES` as ``folder/NAME.csv``; returns the paths."""
    return [write_table(folder / f"{name}.csv", columns, rows(archive)) for name, (columns, rows) in TABLES.items()]
