"""What every file import reports when its input is wrong: problems that name the line and the
column, in English and in Portuguese, collected and raised at once so the analyst fixes the
file in one pass.

Shared by the catalog and the consumption validators (the reading itself, CSV or .xlsx, is
:mod:`procurement_pipeline.lib.tabular`):

* :class:`Problem` and :class:`FileValidationError`: every problem of a file, each naming its
  line and column (as the file's header spells it), in both languages;
* :class:`ProblemLog`: at most :data:`MAX_KEPT_PROBLEMS` problems are kept, then checking stops
  and the error says how many lines were not checked (memory stays bounded on any file);
* number bounds that follow the warehouse column types (:func:`numeric_limit`);
* :func:`sku_key`: SKUs compared as MySQL's ``utf8mb4_unicode_ci`` compares them, on every
  backend.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

# How many problems to list in one error before summarising the rest.
MAX_LISTED_PROBLEMS = 20
# How many problems to collect before checking stops (memory stays bounded on any file).
MAX_KEPT_PROBLEMS = 1000
# The longest line (a record, with the lines its quotes span) a CSV file may have. The longest
# valid catalog row is about 1,000 characters; the csv module itself gives up at 131,072 per
# field.
MAX_LINE_CHARS = 65_536
# Values quoted in a message are cut to this many characters.
MAX_SHOWN_CHARS = 40
# The largest value of an SQL INTEGER column (MySQL INT is 32-bit signed).
MAX_INTEGER = 2**31 - 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file. ``field``: the column as the file's header spells it (or
    its canonical name when the file lacks it); ``column``: the canonical name, shown beside a
    spelling that differs; ``message_pt``/``field_pt``: the Portuguese line (``field_pt`` names
    a column the file lacks the way a Portuguese header would)."""

    line: int | None
    field: str | None
    message: str
    message_pt: str = ""
    column: str | None = None
    field_pt: str | None = None

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            named = f"field '{self.field}'"
            if self.column and self.column != self.field:
                named += f" ({self.column})"
            where.append(named)
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def portuguese(self) -> str:
        """The problem in Portuguese ("" when it has no Portuguese text)."""
        if not self.message_pt:
            return ""
        where = []
        if self.line is not None:
            where.append(f"linha {self.line}")
        if self.field_pt or self.field:
            where.append(f"coluna '{self.field_pt or self.field}'")
        return f"{', '.join(where)}: {self.message_pt}" if where else self.message_pt


@dataclass
class ProblemLog:
    """The problems of one file, at most :data:`MAX_KEPT_PROBLEMS` (the rest are counted in
    :attr:`dropped`); :attr:`stopped` (and :attr:`stopped_pt`) say why checking ended before
    the end of the file, when it did."""

    items: list[Problem] = field(default_factory=list)
    dropped: int = 0
    stopped: str | None = None
    stopped_pt: str | None = None

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_KEPT_PROBLEMS

    def add(self, problem: Problem) -> None:
        if self.full:
            self.dropped += 1
        else:
            self.items.append(problem)

    def stop(self, english: str, portuguese: str) -> None:
        self.stopped, self.stopped_pt = english, portuguese

    def __bool__(self) -> bool:
        return bool(self.items)


class FileValidationError(ValueError):
    """Every problem of one file (at most :data:`MAX_KEPT_PROBLEMS`); subclasses name what kind
    of file it is. ``stopped``: why checking ended before the end of the file, if it did;
    ``sheet``: the worksheet of an .xlsx file."""

    kind = "file"
    kind_pt = "arquivo"

    def __init__(
        self,
        source: str,
        problems: list[Problem],
        stopped: str | None = None,
        stopped_pt: str | None = None,
        sheet: str | None = None,
    ):
        self.source = source
        self.sheet = sheet
        self.problems = problems
        self.stopped = stopped
        self.stopped_pt = stopped_pt
        lines = []
        for problem in problems[:MAX_LISTED_PROBLEMS]:
            lines.append(f"  - {problem}")
            if problem.portuguese():
                lines.append(f"    {problem.portuguese()}")
        more = len(problems) - MAX_LISTED_PROBLEMS
        if more > 0:
            lines.append(f"  … and {more} more / e mais {more}")
        if stopped:
            lines.append(f"  … {stopped}")
            if stopped_pt:
                lines.append(f"    {stopped_pt}")
        count = f"{len(problems)}+" if stopped else str(len(problems))
        listed = "\n".join(lines)
        in_sheet, in_sheet_pt = (
            (f", sheet '{sheet}'", f", planilha '{sheet}'") if sheet else ("", "")
        )
        super().__init__(
            f"invalid {self.kind} {source}{in_sheet}: {count} problem(s) / {self.kind_pt} "
            f"inválido {source}{in_sheet_pt}: {count} problema(s)\n{listed}"
        )

    @classmethod
    def of(cls, source: str, log: ProblemLog, sheet: str | None = None) -> FileValidationError:
        return cls(source, log.items, log.stopped, log.stopped_pt, sheet)


def shown(value: object) -> str:
    """A value as a message quotes it: cut to :data:`MAX_SHOWN_CHARS` characters."""
    value = str(value)
    return value if len(value) <= MAX_SHOWN_CHARS else value[:MAX_SHOWN_CHARS] + "…"


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


def sku_character_problem(sku: str) -> tuple[str, str] | None:
    """Why a SKU cannot be stored and compared reliably (English, Portuguese), or None."""
    for char in sku:
        if char not in SKU_ALPHABET:
            name = unicodedata.name(char, "unnamed")
            return (
                f"character U+{ord(char):04X} ({name}) is not allowed in a SKU (use letters, "
                "digits, spaces and ASCII punctuation)",
                f"o caractere U+{ord(char):04X} ({name}) não é aceito num SKU (use letras, "
                "dígitos, espaços e pontuação ASCII)",
            )
    return None


SAME_SKU_NOTE = "SKUs that differ only in case or accents are the same SKU"
SAME_SKU_NOTE_PT = "SKUs que diferem só em maiúsculas ou acentos são o mesmo SKU"
