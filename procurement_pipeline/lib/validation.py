"""What every CSV import reports when its input is wrong: problems that name the line and the
field, collected and raised at once so the analyst fixes the file in one pass."""

from __future__ import annotations

from dataclasses import dataclass

# How many problems to list in one error before summarising the rest.
MAX_LISTED_PROBLEMS = 20


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
    """Every problem of one file; subclasses name what kind of file it is."""

    kind = "file"

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems[:MAX_LISTED_PROBLEMS])
        more = len(problems) - MAX_LISTED_PROBLEMS
        suffix = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(
            f"invalid {self.kind} {source}: {len(problems)} problem(s)\n{listed}{suffix}"
        )


def decode_utf8(raw: bytes, source: str, error: type[FileValidationError]) -> str:
    """UTF-8 (a BOM is fine); anything else is an error naming the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise error(source, [Problem(line, None, message)]) from None
