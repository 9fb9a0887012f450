"""What every CSV import reports when its input is wrong: problems that name the line and the
field, collected and raised at once so the analyst fixes the file in one pass.

Shared by the catalog and the consumption validators:

* :class:`CsvRecords` reads a UTF-8 byte stream record by record without holding the file, a
  decoded copy or a problem per line in memory: at most :data:`MAX_KEPT_PROBLEMS` problems are
  kept (then checking stops and the error says how many lines were not checked), and a line
  longer than :data:`MAX_LINE_CHARS` (no valid row comes close; an unclosed quote swallowing the
  rest of the file does) is a problem naming its line and field instead of the ``csv`` module's
  "field larger than field limit" traceback.
* number bounds that follow the warehouse column types (:func:`numeric_limit`);
* :func:`sku_key`: SKUs compared as MySQL's ``utf8mb4_unicode_ci`` compares them, on every
  backend.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

# How many problems to list in one error before summarising the rest.
MAX_LISTED_PROBLEMS = 20
# How many problems to collect before checking stops (memory stays bounded on any file).
MAX_KEPT_PROBLEMS = 1000
# The longest line (a record, with the lines its quotes span) a file may have. The longest valid
# catalog row is about 1,000 characters; the csv module itself gives up at 131,072 per field.
MAX_LINE_CHARS = 65_536
# Values quoted in a message are cut to this many characters.
MAX_SHOWN_CHARS = 40
# The largest value of an SQL INTEGER column (MySQL INT is 32-bit signed).
MAX_INTEGER = 2**31 - 1


@dataclass(frozen=True)
class Problem:
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class FileValidationError(ValueError):
    """Every problem of one file (at most :data:`MAX_KEPT_PROBLEMS`); subclasses name what kind
    of file it is. ``stopped``: why checking ended before the end of the file, if it did."""

    kind = "file"

    def __init__(self, source: str, problems: list[Problem], stopped: str | None = None):
        self.source = source
        self.problems = problems
        self.stopped = stopped
        listed = "\n".join(f"  - {p}" for p in problems[:MAX_LISTED_PROBLEMS])
        more = len(problems) - MAX_LISTED_PROBLEMS
        suffix = f"\n  … and {more} more" if more > 0 else ""
        if stopped:
            suffix += f"\n  … {stopped}"
        count = f"{len(problems)}+" if stopped else str(len(problems))
        super().__init__(f"invalid {self.kind} {source}: {count} problem(s)\n{listed}{suffix}")


def shown(value: str) -> str:
    """A value as a message quotes it: cut to :data:`MAX_SHOWN_CHARS` characters."""
    return value if len(value) <= MAX_SHOWN_CHARS else value[:MAX_SHOWN_CHARS] + "…"


def _first_bad_utf8(stream: BinaryIO) -> tuple[int, int]:
    """(line, byte value) of the first byte of ``stream`` that is not UTF-8, reading it again
    from the start in chunks."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    while chunk := stream.read(1 << 20):
        pending = decoder.getstate()[0]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            return newlines + data[: exc.start].count(b"\n") + 1, data[exc.start]
        newlines += chunk.count(b"\n")
    return newlines + 1, 0


class _LineTooLong(Exception):
    pass


@dataclass
class Header:
    """The header row: names as the validator compares them, and where each one is."""

    names: list[str]
    line: int

    def index(self, name: str) -> int:
        return self.names.index(name)

    def problems(self, required: tuple[str, ...]) -> list[Problem]:
        """Missing and duplicate required columns (a duplicate would silently let the last
        one win)."""
        out = [
            Problem(self.line, c, "missing column (header must name it)")
            for c in required
            if c not in self.names
        ]
        for c in required:
            count = self.names.count(c)
            if count > 1:
                out.append(Problem(self.line, c, f"duplicate column ({count} times in the header)"))
        return out


class CsvRecords:
    """The records of a UTF-8 CSV byte stream, for a validator.

    :meth:`read_header` first, then iterate :meth:`rows` for ``(line, values)``; report with
    :meth:`add`; :attr:`problems` and :attr:`stopped` go into the error. Reading stops by
    itself at the first line too long (a problem naming its line and field), at bytes that are
    not UTF-8, and once :data:`MAX_KEPT_PROBLEMS` problems are collected.
    """

    def __init__(self, stream: BinaryIO, *, normalize: Callable[[str], str] = str.strip):
        self._stream = stream
        self._text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        self._normalize = normalize
        self._record: list[str] = []
        self._record_chars = 0
        self._lines_read = 0
        self._delimiter = ","
        self._records: Iterator[tuple[int, list[str]]] = iter(())
        self._dropped = 0
        self.header: Header | None = None
        self.problems: list[Problem] = []
        self.stopped: str | None = None
        # No non-blank value anywhere (no bytes, only a BOM, only blank lines).
        self.empty = True

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_KEPT_PROBLEMS

    def add(self, line: int | None, field: str | None, message: str) -> None:
        if self.full:
            self._dropped += 1
        else:
            self.problems.append(Problem(line, field, message))

    def read_header(self, delimiter: str | Callable[[str], str] = ",") -> Header | None:
        """The first non-blank record, as the header (None when there is none). ``delimiter``
        may be a function choosing it from the first line."""
        self._records = self._read(delimiter)
        first = next(self._records, None)
        if first is not None:
            line, values = first
            self.header = Header([self._normalize(v) for v in values], line)
        return self.header

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line, values)`` of every record after the header; blank lines are skipped.
        ``line`` is the record's last line (its only one, unless quotes span lines)."""
        for line, values in self._records:
            yield line, values
            if self.full:
                self._stop_full(line)
                return

    def _lines(self) -> Iterator[str]:
        while True:
            line = self._text.readline(MAX_LINE_CHARS + 1)
            if not line:
                return
            self._lines_read += 1
            self._record.append(line)
            self._record_chars += len(line)
            if self._record_chars > MAX_LINE_CHARS:
                raise _LineTooLong
            yield line

    def _read(self, delimiter: str | Callable[[str], str]) -> Iterator[tuple[int, list[str]]]:
        lines = self._lines()
        record_start = 1
        try:
            first = next(lines, None)
            if first is None:
                return
            self._delimiter = delimiter(first) if callable(delimiter) else delimiter
            reader = csv.reader(itertools.chain([first], lines), delimiter=self._delimiter)
            for values in reader:
                self._record.clear()
                self._record_chars = 0
                line, record_start = reader.line_num, self._lines_read + 1
                if values and any(v.strip() for v in values):
                    self.empty = False
                    yield line, values
                elif values and self.header is not None:
                    yield line, values  # a line of empty cells: the validator decides
        except _LineTooLong:
            self.empty = False
            self.add(
                record_start,
                self._longest_field(),
                f"this line is longer than {MAX_LINE_CHARS} characters (a quote left open, or "
                "text pasted into a cell?)",
            )
            self.stopped = (
                f"checking stopped at line {record_start}: the rest of the file was not checked"
            )
        except UnicodeDecodeError:
            self.empty = False
            line, byte = _first_bad_utf8(self._stream)
            self.add(line, None, f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8")
            self.stopped = f"checking stopped at line {line}: the rest of the file was not read"
        except csv.Error as exc:
            self.empty = False
            self.add(record_start, None, f"not a valid CSV line ({exc})")
            self.stopped = (
                f"checking stopped at line {record_start}: the rest of the file was not checked"
            )

    def _longest_field(self) -> str | None:
        """The column holding most of the record read so far (quotes respected)."""
        lengths = [0]
        quoted = False
        for char in "".join(self._record):
            if char == '"':
                quoted = not quoted
            elif char == self._delimiter and not quoted:
                lengths.append(0)
            else:
                lengths[-1] += 1
        index = max(range(len(lengths)), key=lengths.__getitem__)
        names = self.header.names if self.header else []
        if index < len(names) and names[index]:
            return names[index]
        return f"column {index + 1}"

    def _stop_full(self, line: int) -> None:
        remaining, last = 0, ""
        try:
            while chunk := self._text.read(1 << 20):
                remaining += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
                last = chunk[-1]
        except UnicodeDecodeError:
            self.stopped = (
                f"checking stopped at line {line} after {MAX_KEPT_PROBLEMS} problems: "
                "the rest of the file was not checked"
            )
            return
        if last and last not in "\r\n":
            remaining += 1
        if remaining or self._dropped:
            self.stopped = (
                f"checking stopped at line {line} after {MAX_KEPT_PROBLEMS} problems: "
                f"{remaining:,} more line(s) not checked"
            )


# --------------------------------------------------------------------------- numbers


def numeric_limit(precision: int, scale: int) -> Decimal:
    """The largest value a ``NUMERIC(precision, scale)`` column holds (999.99 for (5, 2))."""
    return Decimal(10) ** (precision - scale) - Decimal(10) ** -scale


def plain(number: Decimal) -> str:
    """A decimal without an exponent (``99999999999.999``), for messages."""
    return format(number, "f")


# --------------------------------------------------------------------------- SKUs

# The characters a SKU may hold: printable ASCII and the Latin letters of Latin-1 and
# Latin Extended-A (Portuguese, Spanish, French, German...). For every one of them sku_key is
# tested to give exactly the weights MariaDB's utf8mb4_unicode_ci gives; anything else
# (invisible and control characters, other scripts, symbols) is refused rather than guessed.
SKU_ALPHABET = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(
    chr(c) for c in range(0xA0, 0x180) if unicodedata.category(chr(c)).startswith("L")
)
# Where utf8mb4_unicode_ci expands a letter that Unicode does not decompose.
_EXPANSIONS = str.maketrans({"œ": "oe"})


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sku_key(sku: str) -> str:
    """The form under which two SKUs are the same SKU, as MySQL's ``utf8mb4_unicode_ci``
    (the warehouse's collation) judges them: case and accents ignored, compatibility forms
    folded (``ß`` = ``ss``, ``œ`` = ``oe``, ``Ａ`` = ``A``), trailing spaces ignored. Exact for
    :data:`SKU_ALPHABET`; a best effort beyond it."""
    if sku.isascii():
        return sku.lower().rstrip(" ")
    key = _strip_marks(_strip_marks(sku).casefold()).translate(_EXPANSIONS)
    # utf8mb4_unicode_ci gives every character beyond the BMP the same weight.
    key = "".join(c if ord(c) <= 0xFFFF else "\ufffd" for c in key)
    return key.rstrip(" ")


def sku_character_problem(sku: str) -> str | None:
    """Why a SKU cannot be stored and compared reliably, or None."""
    for char in sku:
        if char not in SKU_ALPHABET:
            name = unicodedata.name(char, "unnamed")
            return (
                f"character U+{ord(char):04X} ({name}) is not allowed in a SKU (use letters, "
                "digits, spaces and ASCII punctuation)"
            )
    return None


SAME_SKU_NOTE = "SKUs that differ only in case or accents are the same SKU"
