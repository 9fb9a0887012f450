"""Reading the tables buyers have, for the catalog and consumption imports: what Brazilian ERPs
and Excel write.

* **.xlsx**, recognised by its content whatever the file is called: the first sheet, or the
  one a setting names; numbers and dates come as Excel stored them (no separator to guess).
  An old ``.xls`` or another kind of zip is refused saying what to save instead.
* **CSV** separated by ``,``, ``;`` or tab (sniffed from the header line), in UTF-8 with or
  without BOM, UTF-16 with BOM (Excel's "Texto Unicode") or Windows-1252 / Latin-1 (Excel's
  "CSV (separado por vírgulas)" in Brazil): detected, or declared by a setting. A file that
  mixes UTF-8 and Windows-1252, or a declaration the bytes contradict, is refused naming the
  lines.
* **Headers** in Portuguese or English, with case, accents, spacing and punctuation ignored
  (``Preço de referência`` = ``preco_de_referencia`` = ``reference_price``): each
  :class:`Column` lists its accepted names. A missing column is named with the header cell that
  looks like it; two cells naming one column are refused; a header that is one cell holding
  another separator says so.
* **Numbers** with a decimal comma or a decimal point, with or without thousands separators
  (``1.234,56`` / ``1,234.56``), an optional ``R$`` on money columns, decided per column from
  its own values in a first pass over the file. A column whose values disagree (``12,5`` and
  ``7.25``), or whose only separators read both ways (``1.500``: 1500 or 1.5), is an error.

Files are streamed (twice: the number columns' separators, then the validator's pass) and
problems are capped by :class:`procurement_pipeline.lib.validation.ProblemLog`, so memory stays
bounded on any file. A CSV line longer than :data:`MAX_LINE_CHARS` (an unclosed quote
swallowing the rest of the file) is a problem naming its line and field, not a ``csv``
traceback. Every problem is in English and Portuguese.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from procurement_pipeline.lib.validation import (
    MAX_KEPT_PROBLEMS,
    MAX_LINE_CHARS,
    Problem,
    ProblemLog,
    shown,
)

# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """A column an import reads. ``key``: its canonical (English) name, as the code and the
    warehouse call it; ``label_pt``: its Portuguese name; ``names``: other accepted header
    names. ``kind``: ``text``, ``number`` (decimal separator decided per column) or ``date``;
    ``currency``: numbers may carry ``R$``."""

    key: str
    label_pt: str
    names: tuple[str, ...] = ()
    kind: str = "text"
    currency: bool = False

    @property
    def accepted(self) -> tuple[str, ...]:
        return (self.key, self.label_pt, *self.names)


def header_key(text: str) -> str:
    """A header cell as names are compared: accents, case, spacing and punctuation ignored
    (``Prazo de Entrega (dias)`` -> ``prazo de entrega dias``)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())


def accepted_names(columns: Sequence[Column]) -> dict[str, str]:
    """Every accepted header name (as :func:`header_key` gives it) -> the column's key."""
    names: dict[str, str] = {}
    for column in columns:
        for name in column.accepted:
            key = header_key(name)
            if names.setdefault(key, column.key) != column.key:
                raise ValueError(f"header name {name!r} would name two columns")
    return names


# --------------------------------------------------------------------------- numbers

_AMBIGUOUS = "ambiguous"
_INVALID = "invalid"
_NUMBER = re.compile(
    r"(?P<sign>[+-]?)\s*(?P<currency>R\$\s*)?(?P<sign2>[+-]?)"
    r"(?P<mantissa>[\d.,]+)(?P<exponent>[eE][+-]?\d+)?"
)


def _other(mark: str) -> str:
    return "," if mark == "." else "."


def _grouped(text: str, group: str) -> bool:
    """Digits in thousands groups: ``1.234`` / ``12.345.678`` for ``group`` ``.``."""
    return re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(group)}\d{{3}})+", text) is not None


def decimal_mark(mantissa: str, has_exponent: bool = False) -> str | None:
    """What a number's digits say about its decimal separator: ``.`` or ``,`` when they say
    which, None when there is no separator, ``"ambiguous"`` for ``1.500`` / ``1,500`` (a
    thousands group or three decimals), ``"invalid"`` when they are not a number."""
    dots, commas = mantissa.count("."), mantissa.count(",")
    if not any(c.isdigit() for c in mantissa):
        return _INVALID
    if not dots and not commas:
        return None
    if dots and commas:
        mark = "." if mantissa.rfind(".") > mantissa.rfind(",") else ","
        whole, fraction = mantissa.rsplit(mark, 1)
        if not fraction.isdigit() or not _grouped(whole, _other(mark)):
            return _INVALID
        return mark
    separator = "." if dots else ","
    if dots + commas > 1:  # 1.234.567: thousands groups, so the other mark is the decimal one
        return _other(separator) if _grouped(mantissa, separator) else _INVALID
    whole, fraction = mantissa.split(separator)
    if not fraction.isdigit() or not (whole == "" or whole.isdigit()):
        return _INVALID
    if not has_exponent and len(fraction) == 3 and _grouped(mantissa, separator):
        return _AMBIGUOUS
    return separator


@dataclass(frozen=True)
class _Written:
    sign: str
    mantissa: str
    exponent: str
    mark: str | None  # what decimal_mark says


def _written(text: str, currency: bool) -> _Written | None:
    match = _NUMBER.fullmatch(text.strip())
    if match is None or (match["currency"] and not currency):
        return None
    if match["sign"] and match["sign2"]:
        return None
    mark = decimal_mark(match["mantissa"], bool(match["exponent"]))
    if mark == _INVALID:
        return None
    sign = match["sign"] or match["sign2"]
    return _Written(sign, match["mantissa"], match["exponent"] or "", mark)


def _decimal(written: _Written, mark: str | None) -> Decimal | None:
    """The number, reading ``mark`` as the decimal separator (the other one as thousands)."""
    digits = written.mantissa
    if mark is None:
        mark = written.mark if written.mark in (".", ",") else "."
    digits = digits.replace(_other(mark), "").replace(mark, ".")
    try:
        number = Decimal(f"{written.sign}{digits}{written.exponent}")
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _quick_mark(text: str, currency: bool) -> str | None:
    """:func:`decimal_mark` of a cell's text, with a fast path for the usual shapes (the
    look-ahead runs it on every number of a file)."""
    if "." not in text and "," not in text:
        return None  # no separator: nothing to learn (a whole number, or not a number at all)
    plain = _ONE_SEPARATOR.fullmatch(text)
    if plain is not None:
        whole, mark, fraction = plain.group(1, 2, 3)
        if len(fraction) == 3 and 0 < len(whole) <= 3 and whole[0] != "0":
            return _AMBIGUOUS
        return mark
    written = _written(text, currency)
    return None if written is None else written.mark


# The usual shape, recognised without the general parser: ``12,5`` / ``-0.25``.
_ONE_SEPARATOR = re.compile(r"\s*[+-]?(\d*)([.,])(\d+)\s*")
_MARK_NAME = {".": ("decimal point", "ponto decimal"), ",": ("decimal comma", "vírgula decimal")}


def _conflict_problem(text: str, mark: str, first: tuple[int, str]) -> tuple[str, str]:
    line, first_text = first
    other = _other(mark)
    return (
        f"'{shown(text)}' has a {_MARK_NAME[mark][0]}, but line {line} ('{shown(first_text)}') "
        f"has a {_MARK_NAME[other][0]}: use one decimal separator in the whole column",
        f"'{shown(text)}' tem {_MARK_NAME[mark][1]}, mas a linha {line} ('{shown(first_text)}') "
        f"tem {_MARK_NAME[other][1]}: use um só separador decimal na coluna toda",
    )


def _ambiguous_problem(text: str) -> tuple[str, str]:
    mark = "." if "." in text else ","
    written = _written(text, True)
    as_thousands = format(_decimal(written, _other(mark)).normalize(), "f")
    as_decimal = format(_decimal(written, mark).normalize(), "f")
    return (
        f"'{shown(text)}' could be {as_thousands} ('{mark}' separating thousands) or "
        f"{as_decimal} ('{mark}' as the decimal separator), and no other value in the column "
        f"shows which: write it without a thousands separator ({as_thousands}) or with a "
        "decimal separator another value of the column also uses",
        f"'{shown(text)}' pode ser {as_thousands} ('{mark}' separando milhares) ou "
        f"{as_decimal} ('{mark}' como separador decimal), e nenhum outro valor da coluna "
        f"mostra qual: escreva sem separador de milhares ({as_thousands}) ou com um "
        "separador decimal que outro valor da coluna também use",
    )


# --------------------------------------------------------------------------- encodings

# Declared encodings (a setting) -> the codec that reads them; "" or "auto": detected.
ENCODINGS = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "utf-16": "utf-16",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}
_ENCODING_NAME = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}
# Bytes Windows-1252 leaves undefined (Latin-1 reads them as control characters).
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
# A character UTF-8 writes as more than one byte.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Bytes:
    """What a CSV file's bytes are: valid UTF-8 or not, where the first non-UTF-8 byte and the
    first character UTF-8 writes in several bytes are."""

    utf8: bool
    bad: tuple[int, int] | None = None  # (line, byte) of the first byte that is not UTF-8
    multibyte_line: int | None = None  # a line with a character UTF-8 writes as several bytes
    cp1252_undefined: bool = False


def _inspect_bytes(stream: BinaryIO) -> _Bytes:
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines, multibyte_line, offset = 0, None, 0
    while chunk := stream.read(_CHUNK):
        pending = decoder.getstate()[0]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            line = newlines + data[: exc.start].count(b"\n") + 1
            bad = (line, data[exc.start])
            if multibyte_line is None:
                found = _UTF8_SEQUENCE.search(data, 0, exc.start)
                if found:
                    multibyte_line = newlines + data[: found.start()].count(b"\n") + 1
            return _scan_after_bad(stream, offset + len(chunk), newlines, data, bad, multibyte_line)
        if multibyte_line is None and max(chunk) >= 0x80:
            found = _UTF8_SEQUENCE.search(pending + chunk)
            if found:
                multibyte_line = newlines + (pending + chunk)[: found.start()].count(b"\n") + 1
        newlines += chunk.count(b"\n")
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return _Bytes(False, (newlines + 1, 0), multibyte_line)
    return _Bytes(True, multibyte_line=multibyte_line)


def _scan_after_bad(
    stream: BinaryIO,
    end_of_data: int,
    newlines: int,
    data: bytes,
    bad: tuple[int, int],
    multibyte_line: int | None,
) -> _Bytes:
    """The rest of a file that is not UTF-8: does it also hold UTF-8 characters (a mixed
    file), and bytes Windows-1252 leaves undefined?"""
    undefined = _CP1252_UNDEFINED.search(data) is not None
    if multibyte_line is None:
        found = _UTF8_SEQUENCE.search(data)
        if found:
            multibyte_line = newlines + data[: found.start()].count(b"\n") + 1
    newlines += data.count(b"\n")
    stream.seek(end_of_data)
    tail = data[-3:]
    while (multibyte_line is None or not undefined) and (chunk := stream.read(_CHUNK)):
        window = tail + chunk
        undefined = undefined or _CP1252_UNDEFINED.search(chunk) is not None
        if multibyte_line is None:
            found = _UTF8_SEQUENCE.search(window)
            if found:
                multibyte_line = newlines + window[: found.start()].count(b"\n") + 1
                multibyte_line -= tail.count(b"\n")
        newlines += chunk.count(b"\n")
        tail = chunk[-3:]
    return _Bytes(False, bad, multibyte_line, undefined)


def _first_undecodable(stream: BinaryIO, encoding: str) -> tuple[int, int]:
    """(line, byte value) of the first byte ``encoding`` cannot read."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines = 0
    while chunk := stream.read(_CHUNK):
        pending = decoder.getstate()[0]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            return newlines + data[: exc.start].count(b"\n") + 1, data[exc.start]
        newlines += chunk.count(b"\n")
    return newlines + 1, 0


# --------------------------------------------------------------------------- file kinds

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
# Text a UTF-8 file shows when read as Windows-1252 / Latin-1 (ç -> Ã§, é -> Ã©).
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u017d\u017e]")


def _cell_text(value: object) -> str:
    """A cell as text: Excel's whole numbers without ``.0``, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _LineTooLong(Exception):
    pass


def _sniff_delimiter(line: str) -> str:
    """The separator the header line uses most outside quotes (``,`` when none)."""
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: (counts[c], c == ","))
    return best if counts[best] else ","


class _CsvPass:
    """One pass over a CSV stream: ``(line, values)`` per non-blank record. Structural problems
    (a line too long, bytes the encoding cannot read, a broken record) go to ``log`` and end
    the pass."""

    def __init__(self, stream: BinaryIO, encoding: str, log: ProblemLog, names: list[str]):
        stream.seek(0)
        self._stream = stream
        self._encoding = encoding
        self._text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        self._log = log
        self._names = names
        self._record: list[str] = []
        self._record_chars = 0
        self._lines_read = 0
        self.delimiter = ","

    def close(self) -> None:
        # The wrapper would close the caller's stream when collected: hand it back instead.
        if self._text is not None:
            self._text.detach()
            self._text = None

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

    def records(self) -> Iterator[tuple[int, list[str]]]:
        lines = self._lines()
        record_start = 1
        try:
            first = next(lines, None)
            if first is None:
                return
            self.delimiter = _sniff_delimiter(first)
            reader = csv.reader(itertools.chain([first], lines), delimiter=self.delimiter)
            for values in reader:
                self._record.clear()
                self._record_chars = 0
                line, record_start = reader.line_num, self._lines_read + 1
                if any(v.strip() for v in values):
                    yield line, values
        except _LineTooLong:
            self._log.add(
                Problem(
                    record_start,
                    self._longest_field(),
                    f"this line is longer than {MAX_LINE_CHARS} characters (a quote left open, "
                    "or text pasted into a cell?)",
                    f"esta linha tem mais de {MAX_LINE_CHARS} caracteres (aspas abertas sem "
                    "fechar, ou um texto colado numa célula?)",
                )
            )
            self._stopped_at(record_start, checked=True)
        except UnicodeDecodeError:
            line, byte = _first_undecodable(self._stream, self._encoding)
            self._log.add(_undecodable_problem(line, byte, self._encoding))
            self._stopped_at(line, checked=False)
        except csv.Error as exc:
            hint_en = hint_pt = ""
            if "NUL" in str(exc):
                hint_en = ": a UTF-16 file without its BOM? Save it as 'CSV UTF-8'"
                hint_pt = ": um arquivo UTF-16 sem BOM? Salve como 'CSV UTF-8'"
            self._log.add(
                Problem(
                    record_start,
                    None,
                    f"not a valid CSV line ({exc}){hint_en}",
                    f"não é uma linha CSV válida ({exc}){hint_pt}",
                )
            )
            self._stopped_at(record_start, checked=True)

    def _stopped_at(self, line: int, *, checked: bool) -> None:
        what_en, what_pt = ("checked", "verificado") if checked else ("read", "lido")
        self._log.stop(
            f"checking stopped at line {line}: the rest of the file was not {what_en}",
            f"verificação parada na linha {line}: o resto do arquivo não foi {what_pt}",
        )

    def remaining_lines(self) -> int | None:
        """Lines left after the last record read (None when the rest cannot be read)."""
        remaining, last = 0, ""
        try:
            while chunk := self._text.read(_CHUNK):
                remaining += chunk.count("\n") + chunk.count("\r") - chunk.count("\r\n")
                last = chunk[-1]
        except UnicodeDecodeError:
            return None
        if last and last not in "\r\n":
            remaining += 1
        return remaining

    def _longest_field(self) -> str | None:
        """The column holding most of the record read so far (quotes respected)."""
        lengths = [0]
        quoted = False
        for char in "".join(self._record):
            if char == '"':
                quoted = not quoted
            elif char == self.delimiter and not quoted:
                lengths.append(0)
            else:
                lengths[-1] += 1
        index = max(range(len(lengths)), key=lengths.__getitem__)
        if index < len(self._names) and self._names[index]:
            return self._names[index]
        return f"column {index + 1}"


def _undecodable_problem(line: int, byte: int, encoding: str) -> Problem:
    name = _ENCODING_NAME[encoding]
    if encoding == "utf-8-sig":
        return Problem(
            line,
            None,
            f"not valid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8, or leave its "
            "encoding to detection (it looks like Windows-1252, as Excel's 'CSV (separado por "
            "vírgulas)' writes)",
            f"não é UTF-8 válido (byte 0x{byte:02x}); salve o arquivo como UTF-8, ou deixe a "
            "codificação ser detectada (parece Windows-1252, como o 'CSV (separado por "
            "vírgulas)' do Excel grava)",
        )
    return Problem(
        line,
        None,
        f"byte 0x{byte:02x} is not {name}: save the file as UTF-8 or leave its encoding to "
        "detection",
        f"o byte 0x{byte:02x} não é {name}: salve o arquivo como UTF-8 ou deixe a codificação "
        "ser detectada",
    )


class _XlsxPass:
    """One pass over a worksheet: ``(row number, cells)`` per non-blank row."""

    def __init__(self, worksheet):
        self._worksheet = worksheet
        self._rows = None

    def records(self) -> Iterator[tuple[int, list]]:
        self._rows = self._worksheet.iter_rows(values_only=True)
        for line, values in enumerate(self._rows, start=1):
            cells = list(values)
            while cells and _blank(cells[-1]):
                cells.pop()
            if cells:
                yield line, cells

    def remaining_lines(self) -> int:
        return sum(1 for values in self._rows or () if any(not _blank(v) for v in values))

    def close(self) -> None:
        pass


# --------------------------------------------------------------------------- the table


class Row:
    """One data row: :meth:`text`, :meth:`number`, :meth:`date` of a column by key; the
    number and date readers report what is wrong to the table's problems themselves."""

    __slots__ = ("_cells", "_table", "line")

    def __init__(self, table: Table, line: int, cells: list):
        self._table = table
        self._cells = cells
        self.line = line

    def cell(self, key: str) -> object:
        index = self._table.index[key]
        return self._cells[index] if index < len(self._cells) else None

    def text(self, key: str) -> str:
        return _cell_text(self.cell(key)).strip()

    def number(self, key: str) -> Decimal | None:
        """The column's number (None, with a problem, when it is not one; None without one
        when the column's decimal separator is already a problem)."""
        value = self.cell(key)
        if isinstance(value, bool):
            pass
        elif isinstance(value, int):
            return Decimal(value)
        elif isinstance(value, float):
            return Decimal(repr(value))
        text = _cell_text(value).strip()
        if not text:
            self._table.add(self.line, key, "is empty", "está vazia")
            return None
        if key in self._table.undecided:
            return None
        column = self._table.column(key)
        written = _written(text, column.currency)
        if written is None:
            self._table.add(
                self.line,
                key,
                f"'{shown(text)}' is not a number",
                f"'{shown(text)}' não é um número",
            )
            return None
        mark = self._table.decimal_mark_of(key, self.line, text, written.mark)
        if key in self._table.undecided:
            return None
        number = _decimal(written, mark)
        if number is None:
            self._table.add(
                self.line,
                key,
                f"'{shown(text)}' is not a number",
                f"'{shown(text)}' não é um número",
            )
        return number

    def date(self, key: str) -> dt.date | None:
        value = self.cell(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _cell_text(value).strip()
        day = parse_date(text)
        if day is None:
            self._table.add(
                self.line,
                key,
                f"'{shown(text)}' is not a date (use aaaa-mm-dd or dd/mm/aaaa)",
                f"'{shown(text)}' não é uma data (use dd/mm/aaaa ou aaaa-mm-dd)",
            )
        return day


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_BR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?")


def parse_date(text: str) -> dt.date | None:
    """``2026-11-24`` or ``24/11/2026`` (a midnight time after it is accepted, as Excel's CSV
    export writes dates) -> date; anything else, or an impossible day -> None."""
    text = text.strip()
    if m := _ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _BR.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class Table:
    """A CSV file or a worksheet, read for a validator::

        table = Table(stream, "catalogo.xlsx", COLUMNS, sheet=None, encoding=None)
        if table.open():                # format, encoding, header, number separators
            for row in table.rows():    # every non-blank data row
                row.text("sku"); row.number("current_stock")
                table.add(row.line, "sku", "English", "Português")
        table.problems                  # everything wrong, for FileValidationError.of

    ``stream`` must be seekable (it is read more than once) and stays open; ``reopen`` gives
    a second, independent stream of the same file for the look-ahead of a column whose first
    separator reads both ways (default: a copy of a ``BytesIO``). ``sheet``: the worksheet of
    an .xlsx (default the first); ``encoding``: a key of :data:`ENCODINGS` (default:
    detected). :attr:`sheet_name` is the worksheet read, for messages.
    """

    def __init__(
        self,
        stream: BinaryIO,
        source: str,
        columns: Sequence[Column],
        *,
        sheet: str | None = None,
        encoding: str | None = None,
        reopen: Callable[[], BinaryIO] | None = None,
    ):
        self._stream = stream
        if reopen is None:
            if not isinstance(stream, io.BytesIO):
                raise TypeError("reopen is needed for a stream that is not a BytesIO")
            reopen = lambda: io.BytesIO(stream.getvalue())  # noqa: E731
        self._reopen = reopen
        self.source = source
        self.columns = list(columns)
        self._by_key = {c.key: c for c in self.columns}
        self._names = accepted_names(self.columns)
        self._sheet = sheet or None
        self._declared = (encoding or "").strip().lower()
        self.problems = ProblemLog()
        self.sheet_name: str | None = None
        self.header_line = 0
        self.index: dict[str, int] = {}
        self.spelled: dict[str, str] = {}
        # Number columns: the decimal mark decided (the first value that shows it), where that
        # was, and the columns whose mark is a problem (their values are not read).
        self.marks: dict[str, str] = {}
        self._first_mark: dict[str, tuple[int, str]] = {}
        self.undecided: set[str] = set()
        self._looked_ahead: dict[str, str] | None = None
        self._format = "csv"
        self._encoding = "utf-8-sig"
        self._width = 0
        self._delimiter = ","
        self._workbook = None
        self._worksheet = None

    # ------------------------------------------------------------------ reporting

    def column(self, key: str) -> Column:
        return self._by_key[key]

    def add(self, line: int | None, key: str | None, english: str, portuguese: str) -> None:
        """A problem of ``line`` in column ``key`` (named as the file's header spells it)."""
        if key is None:
            self.problems.add(Problem(line, None, english, portuguese))
            return
        spelled = self.spelled.get(key)
        self.problems.add(
            Problem(
                line,
                spelled or key,
                english,
                portuguese,
                column=key,
                field_pt=None if spelled else self._by_key[key].label_pt,
            )
        )

    # ------------------------------------------------------------------ opening

    def open(self) -> bool:
        """Recognise the file, read the header and decide the number columns' separators.
        False when the rows cannot be read (the problems say why)."""
        self._stream.seek(0)
        head = self._stream.read(8)
        self._stream.seek(0)
        if head.startswith(_OLE):
            self.add(
                None,
                None,
                "an Excel 97-2003 workbook (.xls): save it as .xlsx ('Pasta de Trabalho do "
                "Excel') or as CSV",
                "uma pasta de trabalho do Excel 97-2003 (.xls): salve como .xlsx ('Pasta de "
                "Trabalho do Excel') ou como CSV",
            )
            return False
        if head.startswith(_ZIP):
            self._format = "xlsx"
            if not self._open_workbook():
                return False
        elif not self._choose_encoding():
            return False
        header = self._read_header()
        if header is None:
            if self.problems:
                pass
            elif self._worksheet is not None:
                titles = ", ".join(f"'{s.title}'" for s in self._workbook.worksheets)
                self.add(
                    None,
                    None,
                    f"the sheet '{self.sheet_name}' is empty (the workbook has {titles}): name "
                    "the sheet to read in the sheet setting",
                    f"a planilha '{self.sheet_name}' está vazia (a pasta tem {titles}): indique "
                    "a planilha a ler na configuração da planilha",
                )
            else:
                self.add(None, None, "the file is empty", "o arquivo está vazio")
            return False
        self.header_line, names = header
        return self._resolve_header(names)

    def _open_workbook(self) -> bool:
        import openpyxl  # only when an .xlsx comes in

        try:
            self._workbook = openpyxl.load_workbook(self._stream, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            self.add(
                None,
                None,
                f"not an .xlsx workbook ({shown(exc)}): save it as .xlsx or as CSV",
                f"não é uma pasta de trabalho .xlsx ({shown(exc)}): salve como .xlsx ou CSV",
            )
            return False
        sheets = self._workbook.worksheets
        if self._sheet is None:
            if not sheets:
                self.add(None, None, "the workbook has no worksheet", "a pasta não tem planilha")
                return False
            self._worksheet = sheets[0]
        else:
            wanted = header_key(self._sheet)
            found = [s for s in sheets if s.title == self._sheet] or [
                s for s in sheets if header_key(s.title) == wanted
            ]
            if not found:
                titles = ", ".join(f"'{s.title}'" for s in sheets)
                self.add(
                    None,
                    None,
                    f"no sheet named '{shown(self._sheet)}' (the workbook has {titles}): fix "
                    "the sheet setting",
                    f"não há planilha chamada '{shown(self._sheet)}' (a pasta tem {titles}): "
                    "corrija a configuração da planilha",
                )
                return False
            self._worksheet = found[0]
        # Some writers store a wrong sheet size: read every row and cell there is.
        self._worksheet.reset_dimensions()
        self.sheet_name = self._worksheet.title
        return True

    def _choose_encoding(self) -> bool:
        declared = self._declared
        if declared not in ("", "auto") and declared not in ENCODINGS:
            self.add(
                None,
                None,
                f"unknown encoding '{shown(declared)}': use utf-8, cp1252, latin-1, utf-16 or auto",
                f"codificação desconhecida '{shown(declared)}': use utf-8, cp1252, latin-1, "
                "utf-16 ou auto",
            )
            return False
        head = self._stream.read(4)
        self._stream.seek(0)
        if head.startswith(codecs.BOM_UTF8):
            bom = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            bom = "utf-16"
        else:
            bom = None
        if declared in ("", "auto"):
            if bom:
                self._encoding = bom
                return True
            found = _inspect_bytes(self._stream)
            if found.utf8:
                self._encoding = "utf-8-sig"
                return True
            if found.multibyte_line is not None:
                line, byte = found.bad
                self.add(
                    None,
                    None,
                    f"the file mixes encodings: line {found.multibyte_line} has UTF-8 "
                    f"accents and line {line} has byte 0x{byte:02x}, which is not UTF-8 "
                    "(Windows-1252?); save the whole file again as 'CSV UTF-8' or as .xlsx",
                    f"o arquivo mistura codificações: a linha {found.multibyte_line} tem "
                    f"acentos em UTF-8 e a linha {line} tem o byte 0x{byte:02x}, que não é "
                    "UTF-8 (Windows-1252?); salve o arquivo todo de novo como 'CSV UTF-8' ou "
                    "como .xlsx",
                )
                return False
            self._encoding = "latin-1" if found.cp1252_undefined else "cp1252"
            return True
        self._encoding = ENCODINGS[declared]
        if bom and bom != self._encoding:
            self.add(
                None,
                None,
                f"the encoding setting says {_ENCODING_NAME[self._encoding]} but the file "
                f"starts with a {_ENCODING_NAME[bom]} BOM: remove the setting",
                f"a configuração diz {_ENCODING_NAME[self._encoding]}, mas o arquivo começa "
                f"com um BOM {_ENCODING_NAME[bom]}: remova a configuração",
            )
            return False
        if self._encoding in ("cp1252", "latin-1"):
            found = _inspect_bytes(self._stream)
            if found.utf8 and found.multibyte_line is not None:
                self.add(
                    None,
                    None,
                    f"the encoding setting says {_ENCODING_NAME[self._encoding]} but the file "
                    f"is UTF-8 (line {found.multibyte_line} has UTF-8 accents): set it to "
                    "utf-8 or remove it",
                    f"a configuração diz {_ENCODING_NAME[self._encoding]}, mas o arquivo é "
                    f"UTF-8 (a linha {found.multibyte_line} tem acentos em UTF-8): troque para "
                    "utf-8 ou remova a configuração",
                )
                return False
        return True

    def _pass(self, log: ProblemLog) -> _CsvPass | _XlsxPass:
        if self._format == "xlsx":
            return _XlsxPass(self._worksheet)
        return _CsvPass(self._stream, self._encoding, log, list(self.spelled_by_index()))

    def spelled_by_index(self) -> list[str]:
        names = [""] * self._width
        for key, index in self.index.items():
            names[index] = self.spelled.get(key, key)
        return names

    def _read_header(self) -> tuple[int, list[str]] | None:
        reader = self._pass(self.problems)
        records = reader.records()
        try:
            first = next(records, None)
        finally:
            records.close()
            reader.close()
        if first is None:
            return None
        if isinstance(reader, _CsvPass):
            self._delimiter = reader.delimiter
        line, cells = first
        return line, [_cell_text(c).strip() for c in cells]

    def _resolve_header(self, names: list[str]) -> bool:
        self._width = len(names)
        line = self.header_line
        found: dict[str, list[tuple[int, str]]] = {}
        unmatched: list[str] = []
        for index, name in enumerate(names):
            key = self._names.get(header_key(name)) if name else None
            if key is None:
                if name:
                    unmatched.append(name)
                continue
            found.setdefault(key, []).append((index, name))
        filled = [n for n in names if n]
        if len(filled) == 1 and len(self.columns) > 1 and len(found) <= 1:
            separator = next((s for s in ("|", ";", ",", "\t", ":") if s in filled[0]), None)
            if separator is not None:
                shown_sep = "tab" if separator == "\t" else f"'{separator}'"
                self.add(
                    line,
                    None,
                    f"the header is one column ('{shown(filled[0])}'): the file seems "
                    f"separated by {shown_sep}; save it as CSV separated by ';' or ',', or as "
                    ".xlsx",
                    f"o cabeçalho é uma coluna só ('{shown(filled[0])}'): o arquivo parece "
                    f"separado por {shown_sep}; salve como CSV separado por ';' ou ',', ou "
                    "como .xlsx",
                )
                return False
        ok = True
        for column in self.columns:
            cells = found.get(column.key, [])
            if len(cells) > 1:
                spellings = sorted({n for _, n in cells})
                listed = f": {', '.join(repr(s) for s in spellings)}" if len(spellings) > 1 else ""
                self.add(
                    line,
                    column.key,
                    f"duplicate column ({len(cells)} times in the header){listed}",
                    f"coluna repetida ({len(cells)} vezes no cabeçalho){listed}",
                )
                ok = False
            elif cells:
                self.index[column.key] = cells[0][0]
                self.spelled[column.key] = cells[0][1]
        for column in self.columns:
            if column.key in found:
                continue
            ok = False
            names_en = ", ".join(f"'{n}'" for n in column.accepted)
            english = f"missing column (header must name it); accepted names: {names_en}"
            portuguese = f"falta a coluna (o cabeçalho precisa nomeá-la); nomes aceitos: {names_en}"
            alike = self._look_alike(column, unmatched)
            if alike is not None:
                unmatched.remove(alike)
                english += f". The header has '{shown(alike)}': if it is this column, rename it "
                english += f"'{column.label_pt}'"
                portuguese += f". O cabeçalho tem '{shown(alike)}': se for esta coluna, "
                portuguese += f"renomeie para '{column.label_pt}'"
            self.add(line, column.key, english, portuguese)
        if not ok:
            garbled = next((n for n in names if _MOJIBAKE.search(n)), None)
            if garbled is not None:
                self.add(
                    line,
                    None,
                    f"the header reads '{shown(garbled)}': a UTF-8 file read as "
                    f"{_ENCODING_NAME[self._encoding]}; set the encoding to utf-8 or remove "
                    "the setting",
                    f"o cabeçalho diz '{shown(garbled)}': um arquivo UTF-8 lido como "
                    f"{_ENCODING_NAME[self._encoding]}; configure a codificação como utf-8 ou "
                    "remova a configuração",
                )
        return ok

    @staticmethod
    def _look_alike(column: Column, unmatched: list[str]) -> str | None:
        """The unmatched header cell most like one of the column's names, if any is close."""
        best, best_score = None, 0.0
        for name in unmatched:
            cell = header_key(name)
            for accepted in column.accepted:
                target = header_key(accepted)
                score = difflib.SequenceMatcher(None, cell, target).ratio()
                if len(target) > 3 and (target in cell or cell in target):
                    score = max(score, 0.8)
                if score > best_score:
                    best, best_score = name, score
        return best if best_score >= 0.75 else None

    def decimal_mark_of(self, key: str, line: int, text: str, mark: str | None) -> str | None:
        """The decimal mark to read column ``key``'s value ``text`` with (``mark``: what the
        value itself shows). The first value that shows it decides the column; a later value
        showing the other one, or a value such as ``1.500`` in a column where no value in the
        whole file shows it, is a problem of the column (reported once)."""
        if mark in (".", ","):
            decided = self.marks.setdefault(key, mark)
            self._first_mark.setdefault(key, (line, text))
            if mark != decided:
                self.undecided.add(key)
                self.add(line, key, *_conflict_problem(text, mark, self._first_mark[key]))
            return decided
        if mark == _AMBIGUOUS and key not in self.marks:
            decided = self._look_ahead().get(key)
            if decided is None:
                self.undecided.add(key)
                self.add(line, key, *_ambiguous_problem(text))
                return None
            self.marks[key] = decided
        return self.marks.get(key)

    def _look_ahead(self) -> dict[str, str]:
        """Each number column's first decimal mark in the whole file: a second read, only for
        a file whose first value with a separator reads both ways (``1.500``)."""
        if self._looked_ahead is not None:
            return self._looked_ahead
        numbers = [c for c in self.columns if c.kind == "number" and c.key in self.index]
        found: dict[str, str] = {}
        stream = self._reopen()
        try:
            if self._format == "xlsx":
                import openpyxl

                workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
                sheet = workbook[self.sheet_name]
                sheet.reset_dimensions()
                records = (list(values) for values in sheet.iter_rows(values_only=True))
            else:
                workbook = None
                text = io.TextIOWrapper(stream, encoding=self._encoding, newline="")
                records = csv.reader(text, delimiter=self._delimiter)
            watched = [(c.key, self.index[c.key], c.currency) for c in numbers]
            for cells in records:
                width = len(cells)
                for key, index, currency in watched:
                    if key in found or index >= width or not isinstance(cells[index], str):
                        continue
                    mark = _quick_mark(cells[index], currency)
                    if mark in (".", ","):
                        found[key] = mark
                if len(found) == len(watched):
                    break
        except (csv.Error, UnicodeDecodeError):
            pass  # a broken line ends the look-ahead; the validator's pass reports it
        finally:
            if workbook is not None:
                workbook.close()
            stream.close()
        self._looked_ahead = found
        return found

    # ------------------------------------------------------------------ rows

    def rows(self) -> Iterator[Row]:
        """Every non-blank row after the header. CSV rows with values beyond the header, or
        too few values with the other separator in them, are problems (not yielded). Stops
        once the problems are full, saying how many lines were left."""
        reader = self._pass(self.problems)
        records = reader.records()
        try:
            next(records, None)  # the header
            for line, cells in records:
                if self._format == "csv" and not self._aligned(line, cells):
                    pass
                else:
                    yield Row(self, line, cells)
                if self.problems.full:
                    self._stop_full(reader, line)
                    return
        finally:
            records.close()
            reader.close()

    def _aligned(self, line: int, cells: list[str]) -> bool:
        extra = [v for v in cells[self._width :] if v.strip()]
        if extra:
            english, portuguese = "more values than columns", "mais valores que colunas"
            if self._delimiter == ",":
                english += (
                    f" ({len(cells)} for {self._width}): a decimal comma in a ','-separated "
                    "file? Put such values in quotes, or save the file separated by ';'"
                )
                portuguese += (
                    f" ({len(cells)} para {self._width}): uma vírgula decimal num arquivo "
                    "separado por ','? Ponha esses valores entre aspas, ou salve o arquivo "
                    "separado por ';'"
                )
            self.add(line, None, english, portuguese)
            return False
        if len(cells) < self._width and self._width > 1:
            # The other separator between most of the values: the line was saved another way.
            other = next(
                (
                    s
                    for s in (";", ",", "\t")
                    if s != self._delimiter and sum(v.count(s) for v in cells) >= self._width - 1
                ),
                None,
            )
            if other is not None:
                name = {";": "';'", ",": "','", "\t": "tab"}
                self.add(
                    line,
                    None,
                    f"{len(cells)} value(s) for {self._width} columns: this line seems separated "
                    f"by {name[other]} while the header uses {name[self._delimiter]}; use one "
                    "separator in the whole file",
                    f"{len(cells)} valor(es) para {self._width} colunas: esta linha parece "
                    f"separada por {name[other]} e o cabeçalho usa {name[self._delimiter]}; use "
                    "um só separador no arquivo todo",
                )
                return False
        return True

    def _stop_full(self, reader: _CsvPass | _XlsxPass, line: int) -> None:
        remaining = reader.remaining_lines()
        if remaining is None:
            self.problems.stop(
                f"checking stopped at line {line} after {MAX_KEPT_PROBLEMS} problems: the rest "
                "of the file was not checked",
                f"verificação parada na linha {line} após {MAX_KEPT_PROBLEMS} problemas: o resto "
                "do arquivo não foi verificado",
            )
        elif remaining or self.problems.dropped:
            self.problems.stop(
                f"checking stopped at line {line} after {MAX_KEPT_PROBLEMS} problems: "
                f"{remaining:,} more line(s) not checked",
                f"verificação parada na linha {line} após {MAX_KEPT_PROBLEMS} problemas: mais "
                f"{remaining:,} linha(s) não verificada(s)",
            )

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
