"""Source mappings: how one agency extract becomes canonical person records.

A user describes each extract once, in TOML (see docs/mapping.md). This module turns
that text into frozen dataclasses and checks them, reporting *every* problem at once:
an analyst fixing a mapping for a new extract should not have to run the tool ten times
to find ten typos. Checking the mapping against the files' headers is a separate step
(`check_mapping_files`) because it needs I/O and the parse does not.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, get_args

from linker import columns as C
from linker.errors import ConfigError

FileFormat = Literal["csv", "parquet"]
CountryCodes = Literal["iso", "fips"]
# How a sex column writes its values: letters and words (M / F, Male, Femenino), ISO/IEC
# 5218 digits (1 male, 2 female, 0 and 9 unknown), or Spanish initials (H hombre, M mujer).
SexCodes = Literal["letters", "iso5218", "spanish"]
SEX_CODES: tuple[str, ...] = get_args(SexCodes)

# Relations a related person on a row can have to the row's primary person.
RELATION_KINDS: tuple[str, ...] = (
    "sponsor_of",
    "parent_of",
    "sibling_of",
    "spouse_of",
    "co_traveler",
)
DATE_FIELDS = ("dob", "event_date")
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_SOURCE_KEYS = {"name", "path", "key", "encoding", "format", "delimiter", "phone_region"}
_SOURCE_KEYS |= {"fields", "related", "agency"}
# The agency an extract comes from, by its part in a family's story: CBP encounters
# families at the border, ICE checks in the adults it released, HHS places unaccompanied
# children with sponsors. The family red flags need to know which source is which.
AGENCIES: Final[tuple[str, ...]] = ("cbp", "ice", "hhs")
# Source names that say the agency ("cbp_2021", "usbp", "ero_releases", "orr"), for
# mappings that do not declare `agency`.
_AGENCY_WORDS: Final = {
    "cbp": "cbp", "usbp": "cbp", "ofo": "cbp", "border": "cbp",
    "ice": "ice", "ero": "ice",
    "hhs": "hhs", "orr": "hhs", "uac": "hhs", "uc": "hhs",
}  # fmt: skip
_RELATED_KEYS = {"role", "relation", "relationship", "fields"}
_SPEC_KEYS = {"column", "columns", "separator", "format", "codes", "source"}
_STRFTIME_DIRECTIVES = set("dmyYbBjHMSfpzZaAIUWwcxX%")


@dataclass(frozen=True)
class FieldSpec:
    """Where one canonical field comes from: one column, or several joined."""

    name: str
    columns: tuple[str, ...]
    separator: str = " "
    format: str | None = None  # strftime, dates only
    # Dates without a format: whether 05/08/2010 is 5 August. None until the extract is
    # read (`linker.standardize.settle`), never written in a mapping file.
    day_first: bool | None = None
    # Dates without a format: whether the column holds spreadsheet serial numbers ("33000"
    # for 7 May 1990). Settled with `day_first`, never written in a mapping file.
    serial: bool | None = None
    codes: CountryCodes = "iso"  # country only
    # Sex only: declared (`codes = "iso5218"`), else settled from the extract's values
    # like `day_first`; None until then.
    sex_codes: SexCodes | None = None
    source: str | None = None  # cross_reference only: the source the value names


@dataclass(frozen=True)
class RelatedPerson:
    """A second person on the same row (an HHS referral's sponsor)."""

    role: str
    relation: str
    relationship: str | None  # column holding the stated relationship, if any
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class SourceMapping:
    """One extract: its file, how to read it, and where each canonical field comes from."""

    name: str
    path: Path
    key: str
    format: FileFormat
    encoding: str | None
    delimiter: str
    phone_region: str
    fields: tuple[FieldSpec, ...]
    related: tuple[RelatedPerson, ...] = ()
    agency: str | None = None  # one of AGENCIES: declared, or read from the name

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    def columns_used(self) -> list[str]:
        """Every column this mapping reads, key first, without repeats."""
        cols = [self.key]
        specs = list(self.fields)
        for rel in self.related:
            specs.extend(rel.fields)
            if rel.relationship:
                cols.append(rel.relationship)
        for spec in specs:
            cols.extend(spec.columns)
        return list(dict.fromkeys(cols))


@dataclass(frozen=True)
class Mapping:
    path: Path
    sources: tuple[SourceMapping, ...] = field(default_factory=tuple)

    def source(self, name: str) -> SourceMapping:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def agencies(self) -> dict[str, str]:
        """Source name -> agency, for the sources whose agency is known."""
        return {s.name: s.agency for s in self.sources if s.agency is not None}


def agency_from_name(name: str) -> str | None:
    """The agency a source name says, by its first word: "cbp_2021" and "usbp" are CBP,
    "ero_releases" ICE, "orr" HHS; None when the name says none."""
    return _AGENCY_WORDS.get(re.split(r"[^a-z]+", name.lower())[0])


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; raise ConfigError listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"mapping file not found: {path}", path=str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"not valid TOML: {e}", path=str(path)) from e
    return parse_mapping(data, base_dir=path.parent, path=path)


def parse_mapping(data: dict[str, Any], *, base_dir: Path, path: Path | None = None) -> Mapping:
    """Build a Mapping from parsed TOML; every problem is collected before raising."""
    problems: list[str] = []
    raw_sources = data.get("sources")
    unknown_top = set(data) - {"sources"}
    if unknown_top:
        problems.append(f"unknown top-level keys {sorted(unknown_top)}; expected [[sources]]")
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.append("no [[sources]] tables: describe at least one extract")
        raw_sources = []
    sources: list[SourceMapping] = []
    for i, raw in enumerate(raw_sources, start=1):
        parsed = _parse_source(raw, i, base_dir, problems)
        if parsed is not None:
            sources.append(parsed)
    names = [s.name for s in sources]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"source name {dup!r} is used twice; names must be unique")
    for s in sources:
        xref = s.field("cross_reference")
        if xref is not None and xref.source not in names:
            problems.append(
                f"[{s.name}] cross_reference names source {xref.source!r}, which is not in "
                f"this mapping (sources: {', '.join(names)})"
            )
    if problems:
        raise ConfigError(problems, path=str(path) if path else None)
    return Mapping(path=path or base_dir, sources=tuple(sources))


def _parse_source(
    raw: Any, index: int, base_dir: Path, problems: list[str]
) -> SourceMapping | None:
    if not isinstance(raw, dict):
        problems.append(f"sources[{index}] must be a table")
        return None
    name = raw.get("name")
    where = f"[{name}]" if isinstance(name, str) else f"sources[{index}]"
    before = len(problems)
    if not isinstance(name, str) or not _SOURCE_NAME.match(name):
        problems.append(f"{where} name must be lower-case letters, digits or '_' (got {name!r})")
    for key in sorted(set(raw) - _SOURCE_KEYS):
        problems.append(f"{where} unknown key {key!r}; allowed: {', '.join(sorted(_SOURCE_KEYS))}")
    key_col = raw.get("key")
    if not isinstance(key_col, str) or not key_col:
        problems.append(f"{where} key must name the column that is unique per row")
    rel_path = raw.get("path")
    file_path = Path()
    fmt: FileFormat = "csv"
    if not isinstance(rel_path, str) or not rel_path:
        problems.append(f"{where} path must name the extract file (relative to the mapping)")
    else:
        file_path = (base_dir / rel_path).resolve()
        declared = raw.get("format")
        suffix = file_path.suffix.lower()
        fmt_name = declared or ("parquet" if suffix in (".parquet", ".pq") else "csv")
        if fmt_name == "parquet":
            fmt = "parquet"
        elif fmt_name != "csv":
            problems.append(f"{where} format must be 'csv' or 'parquet' (got {fmt_name!r})")
        if not file_path.is_file():
            problems.append(f"{where} file not found: {file_path}")
    encoding = raw.get("encoding")
    if encoding is not None:
        try:
            "".encode(encoding)
        except (LookupError, TypeError):
            problems.append(f"{where} unknown encoding {encoding!r}; e.g. utf-8, cp1252, latin-1")
    delimiter = raw.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        problems.append(f"{where} delimiter must be one character (got {delimiter!r})")
    region = raw.get("phone_region", "US")
    if not isinstance(region, str) or not re.fullmatch(r"[A-Z]{2}", region):
        problems.append(f"{where} phone_region must be an ISO-2 country code (got {region!r})")
    fields = _parse_fields(raw.get("fields"), where, problems, allow_cross_reference=True)
    if not fields and "fields" in raw:
        problems.append(f"{where} [fields] maps no canonical field")
    related: list[RelatedPerson] = []
    raw_related = raw.get("related", [])
    if not isinstance(raw_related, list):
        problems.append(f"{where} related must be an array of tables ([[sources.related]])")
        raw_related = []
    for j, rel in enumerate(raw_related, start=1):
        parsed = _parse_related(rel, f"{where} related[{j}]", problems)
        if parsed is not None:
            related.append(parsed)
    roles = [r.role for r in related]
    for dup in sorted({r for r in roles if roles.count(r) > 1}):
        problems.append(f"{where} related role {dup!r} is used twice")
    agency = raw.get("agency")
    if agency is None:
        agency = agency_from_name(str(name))
    elif agency not in AGENCIES:
        problems.append(f"{where} agency must be one of {', '.join(AGENCIES)} (got {agency!r})")
    if len(problems) > before:
        return None
    return SourceMapping(
        name=str(name),
        path=file_path,
        key=str(key_col),
        format=fmt,
        encoding=encoding,
        delimiter=delimiter,
        phone_region=region,
        fields=tuple(fields),
        related=tuple(related),
        agency=agency,
    )


def _parse_related(raw: Any, where: str, problems: list[str]) -> RelatedPerson | None:
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a table")
        return None
    before = len(problems)
    for key in sorted(set(raw) - _RELATED_KEYS):
        problems.append(f"{where} unknown key {key!r}; allowed: {', '.join(sorted(_RELATED_KEYS))}")
    role = raw.get("role")
    if not isinstance(role, str) or not _ROLE_NAME.match(role) or role == C.PRIMARY_ROLE:
        problems.append(
            f"{where} role must be a lower-case word other than 'primary' (got {role!r})"
        )
    relation = raw.get("relation")
    if relation not in RELATION_KINDS:
        problems.append(
            f"{where} relation must be one of {', '.join(RELATION_KINDS)} (got {relation!r})"
        )
    relationship = raw.get("relationship")
    if relationship is not None and (not isinstance(relationship, str) or not relationship):
        problems.append(f"{where} relationship must name a column (got {relationship!r})")
    fields = _parse_fields(raw.get("fields"), where, problems, allow_cross_reference=False)
    if len(problems) > before:
        return None
    return RelatedPerson(
        role=str(role), relation=str(relation), relationship=relationship, fields=tuple(fields)
    )


def _parse_fields(
    raw: Any, where: str, problems: list[str], *, allow_cross_reference: bool
) -> list[FieldSpec]:
    if raw is None:
        problems.append(f"{where} has no [fields] table mapping canonical fields to columns")
        return []
    if not isinstance(raw, dict):
        problems.append(f"{where} fields must be a table")
        return []
    specs: list[FieldSpec] = []
    for name, spec in raw.items():
        if name not in C.MAPPABLE_FIELDS:
            problems.append(
                f"{where} unknown canonical field {name!r}; "
                f"known fields: {', '.join(C.MAPPABLE_FIELDS)}"
            )
            continue
        if name == "cross_reference" and not allow_cross_reference:
            problems.append(f"{where} cross_reference belongs to the row's primary person")
            continue
        parsed = _parse_spec(name, spec, f"{where} field {name!r}", problems)
        if parsed is not None:
            specs.append(parsed)
    if "full_name" in raw and ({"given_name", "family_name", "family_name_1"} & set(raw)):
        problems.append(f"{where} maps full_name and separate name fields; map one or the other")
    if "family_name" in raw and ({"family_name_1", "family_name_2"} & set(raw)):
        problems.append(
            f"{where} maps family_name and family_name_1/2; use family_name for one column "
            "holding both surnames, or family_name_1 and family_name_2 for two columns"
        )
    return specs


def _parse_spec(name: str, spec: Any, where: str, problems: list[str]) -> FieldSpec | None:
    if isinstance(spec, str):
        spec = {"column": spec}
    elif isinstance(spec, list):
        spec = {"columns": spec}
    if not isinstance(spec, dict):
        problems.append(f"{where} must be a column name, a list of columns or a table")
        return None
    before = len(problems)
    for key in sorted(set(spec) - _SPEC_KEYS):
        problems.append(f"{where} unknown key {key!r}; allowed: {', '.join(sorted(_SPEC_KEYS))}")
    if "column" in spec and "columns" in spec:
        problems.append(f"{where} give either column or columns, not both")
    cols = spec.get("columns", [spec.get("column")])
    if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and c for c in cols):
        problems.append(f"{where} must name one or more columns (got {cols!r})")
        cols = []
    fmt = spec.get("format")
    if fmt is not None:
        if name not in DATE_FIELDS:
            problems.append(f"{where} format applies only to dates ({', '.join(DATE_FIELDS)})")
        else:
            problem = _check_date_format(fmt)
            if problem:
                problems.append(f"{where} bad date format {fmt!r}: {problem}")
    codes = spec.get("codes", "iso")
    sex_codes = None
    if name == "sex" and "codes" in spec:
        sex_codes = codes
        codes = "iso"
        if sex_codes not in SEX_CODES:
            problems.append(f"{where} codes must be one of {', '.join(SEX_CODES)} for sex")
    elif codes not in ("iso", "fips"):
        problems.append(f"{where} codes must be 'iso' or 'fips' (got {codes!r})")
    elif "codes" in spec and name != "country":
        problems.append(f"{where} codes applies only to country and sex")
    source = spec.get("source")
    if name == "cross_reference" and not isinstance(source, str):
        problems.append(
            f"{where} needs the source it refers to: "
            '{ column = "...", source = "<other source name>" }'
        )
    elif source is not None and name != "cross_reference":
        problems.append(f"{where} source applies only to cross_reference")
    separator = spec.get("separator", " ")
    if not isinstance(separator, str):
        problems.append(f"{where} separator must be a string")
    if len(problems) > before:
        return None
    return FieldSpec(
        name=name,
        columns=tuple(cols),
        separator=separator,
        format=fmt,
        codes=codes,
        sex_codes=sex_codes,
        source=source,
    )


def _check_date_format(fmt: Any) -> str | None:
    """Why a strftime format cannot read a date, or None when it can."""
    if not isinstance(fmt, str) or not fmt:
        return "must be a non-empty strftime string such as '%m/%d/%Y'"
    directives = re.findall(r"%(.)", fmt)
    unknown = sorted({d for d in directives if d not in _STRFTIME_DIRECTIVES})
    if unknown:
        return f"unknown directive(s) {', '.join('%' + d for d in unknown)}"
    if not ({"Y", "y"} & set(directives)):
        return "has no year (%Y or %y)"
    return None
