"""Mapping parse and validation: every problem reported at once, with file and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.errors import ConfigError
from linker.ingest import check_mapping_files
from linker.mapping import load_mapping

GOOD = """
[[sources]]
name = "cbp"
path = "cbp.csv"
key = "EVENT_ID"
encoding = "utf-8"
  [sources.fields]
  a_number = "ANUM"
  given_name = "FIRST"
  family_name = "LAST"
  dob = { column = "BIRTH", format = "%m/%d/%Y" }
  country = { column = "CTRY", codes = "fips" }
  address = ["NO", "STREET"]

[[sources]]
name = "hhs"
path = "hhs.csv"
key = "UAC"
  [sources.fields]
  full_name = "CHILD"
  cross_reference = { column = "CBP_EVENT", source = "cbp" }
  [[sources.related]]
  role = "sponsor"
  relation = "sponsor_of"
  relationship = "REL"
    [sources.related.fields]
    full_name = "SPONSOR"
    phone = "SPHONE"
"""


def write(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> Path:
    files = (
        {
            "cbp.csv": "EVENT_ID,ANUM,FIRST,LAST,BIRTH,CTRY,NO,STREET\n",
            "hhs.csv": "UAC,CHILD,CBP_EVENT,SPONSOR,REL,SPHONE\n",
        }
        if files is None
        else files
    )
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_mapping_parses_into_specs(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, GOOD))
    cbp, hhs = mapping.sources
    assert cbp.name == "cbp" and cbp.format == "csv" and cbp.path == tmp_path / "cbp.csv"
    assert cbp.field("dob").format == "%m/%d/%Y"
    assert cbp.field("country").codes == "fips"
    assert cbp.field("address").columns == ("NO", "STREET")
    assert hhs.field("cross_reference").source == "cbp"
    (sponsor,) = hhs.related
    assert (sponsor.role, sponsor.relation) == ("sponsor", "sponsor_of")
    assert sponsor.relationship == "REL"
    used = hhs.columns_used()
    assert used[0] == "UAC" and len(used) == len(set(used))
    assert set(used) == {"UAC", "CHILD", "CBP_EVENT", "REL", "SPONSOR", "SPHONE"}
    check_mapping_files(mapping)  # every column exists: no error


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = GOOD.replace('given_name = "FIRST"', 'given = "FIRST"')
    bad = bad.replace("%m/%d/%Y", "%m/%q")
    bad = bad.replace('path = "hhs.csv"', 'path = "nowhere.csv"')
    bad = bad.replace('relation = "sponsor_of"', 'relation = "friend_of"')
    with pytest.raises(ConfigError) as err:
        load_mapping(write(tmp_path, bad))
    message = str(err.value)
    assert "unknown canonical field 'given'" in message
    assert "bad date format '%m/%q'" in message and "%q" in message
    assert "file not found" in message and "nowhere.csv" in message
    assert "relation must be one of" in message
    assert len(err.value.problems) == 4
    assert str(tmp_path / "mapping.toml") in message


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    files = {
        "cbp.csv": "EVENT_ID,ANUM,FIRST,LAST,BIRTH,CTRY,NO\n",  # STREET missing
        "hhs.csv": "UAC,CHILD,CBP_EVENT,SPONSOR,SPHONE\n",  # REL missing
    }
    mapping = load_mapping(write(tmp_path, GOOD, files))
    with pytest.raises(ConfigError) as err:
        check_mapping_files(mapping)
    message = str(err.value)
    assert "column 'STREET' is not in" in message and "cbp.csv" in message
    assert "column 'REL' is not in" in message and "hhs.csv" in message


def test_a_mapped_column_repeated_in_the_header_is_named_with_its_positions(
    tmp_path: Path,
) -> None:
    # Two "LAST" columns: reading either would silently drop the other surname.
    files = {
        "cbp.csv": "EVENT_ID,ANUM,FIRST,LAST,LAST,BIRTH,CTRY,NO,STREET,NOTE,NOTE\n",
        "hhs.csv": "UAC,CHILD,CBP_EVENT,SPONSOR,REL,SPHONE\n",
    }
    mapping = load_mapping(write(tmp_path, GOOD, files))
    with pytest.raises(ConfigError) as err:
        check_mapping_files(mapping)
    (problem,) = err.value.problems  # NOTE repeats too, but no field reads it
    assert "column 'LAST' appears 2 times" in problem
    assert "(columns 4, 5)" in problem and "cbp.csv" in problem


@pytest.mark.parametrize(("separator", "toml"), [(";", '";"'), ("\t", '"\\t"'), ("|", '"|"')])
def test_a_header_run_together_by_another_delimiter_names_the_fix(
    tmp_path: Path, separator: str, toml: str
) -> None:
    files = {
        "cbp.csv": separator.join("EVENT_ID,ANUM,FIRST,LAST,BIRTH,CTRY,NO,STREET".split(","))
        + "\n",
        "hhs.csv": "UAC,CHILD,CBP_EVENT,SPONSOR,REL,SPHONE\n",
    }
    mapping = load_mapping(write(tmp_path, GOOD, files))
    with pytest.raises(ConfigError) as err:
        check_mapping_files(mapping)
    assert len(err.value.problems) == 8  # the key and the seven columns the fields read
    assert all(f"set delimiter = {toml}" in p for p in err.value.problems)
    # The hint is TOML that the mapping accepts as the one-character delimiter.
    fixed = GOOD.replace('encoding = "utf-8"', f'encoding = "utf-8"\ndelimiter = {toml}')
    check_mapping_files(load_mapping(write(tmp_path, fixed, files)))


@pytest.mark.parametrize(
    ("header_name", "hint"),
    [
        ("first", "did you mean 'first'?"),  # another case
        ("First Name", None),  # too far from FIRST
        ("FIRTS", "did you mean 'FIRTS'?"),  # a typo in the header
        ("GIVEN", None),  # nothing close: no guess
    ],
)
def test_a_missing_column_names_the_header_name_it_probably_is(
    tmp_path: Path, header_name: str, hint: str | None
) -> None:
    files = {
        "cbp.csv": f"EVENT_ID,ANUM,{header_name},LAST,BIRTH,CTRY,NO,STREET\n",
        "hhs.csv": "UAC,CHILD,CBP_EVENT,SPONSOR,REL,SPHONE\n",
    }
    mapping = load_mapping(write(tmp_path, GOOD, files))
    with pytest.raises(ConfigError) as err:
        check_mapping_files(mapping)
    (problem,) = err.value.problems
    assert "column 'FIRST' is not in" in problem
    if hint is None:
        assert "did you mean" not in problem
    else:
        assert hint in problem


def test_a_one_column_header_without_another_delimiter_gets_no_hint(tmp_path: Path) -> None:
    files = {"cbp.csv": "EVENT_ID\n", "hhs.csv": "UAC,CHILD,CBP_EVENT,SPONSOR,REL,SPHONE\n"}
    mapping = load_mapping(write(tmp_path, GOOD, files))
    with pytest.raises(ConfigError) as err:
        check_mapping_files(mapping)
    assert not any("delimiter" in p for p in err.value.problems)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('cross_reference = { column = "X", source = "ice" }', "not in this mapping"),
        ('cross_reference = "X"', "needs the source it refers to"),
        ('sex = { column = "S", format = "%Y" }', "format applies only to dates"),
        ('dob = { column = "B", format = "%m/%d" }', "has no year"),
        ('country = { column = "C", codes = "iso3" }', "codes must be 'iso' or 'fips'"),
        ('sex = { column = "S", codes = "fips" }', "codes must be one of letters, iso5218"),
        ('phone = { column = "P", codes = "iso" }', "codes applies only to country and sex"),
        ('family_name_1 = "L1"', "maps full_name and separate name fields"),
        ("phone = 5", "must be a column name"),
        ("address = []", "must name one or more columns"),
    ],
)
def test_field_spec_errors(tmp_path: Path, snippet: str, expected: str) -> None:
    text = f"""
[[sources]]
name = "hhs"
path = "hhs.csv"
key = "UAC"
  [sources.fields]
  full_name = "CHILD"
  {snippet}
"""
    with pytest.raises(ConfigError, match=expected):
        load_mapping(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no \\[\\[sources\\]\\] tables"),
        ("sources = 3", "no \\[\\[sources\\]\\] tables"),
        (
            "[[sources]]\nname = 'Bad Name'\npath='cbp.csv'\nkey='K'\n[sources.fields]\nsex='S'",
            "name must be lower-case",
        ),
        ("[[sources]]\nname = 'a'\npath='cbp.csv'\n[sources.fields]\nsex='S'", "key must name"),
        (
            "[[sources]]\nname = 'a'\npath='cbp.csv'\nkey='K'\nencoding='klingon'\n"
            "[sources.fields]\nsex='S'",
            "unknown encoding",
        ),
        ("[[sources]]\nname = 'a'\npath='cbp.csv'\nkey='K'", "has no \\[fields\\] table"),
        (
            "[[sources]]\nname = 'a'\npath='cbp.csv'\nkey='K'\ncolour='red'\n[sources.fields]\n"
            "sex='S'",
            "unknown key 'colour'",
        ),
        ("this is = not toml", "not valid TOML"),
    ],
)
def test_source_level_errors(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_mapping(write(tmp_path, text))


def test_duplicate_source_names(tmp_path: Path) -> None:
    text = GOOD.replace('name = "hhs"', 'name = "cbp"').replace(
        'source = "cbp" }', 'source = "cbp" }'
    )
    with pytest.raises(ConfigError, match="'cbp' is used twice"):
        load_mapping(write(tmp_path, text))


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping file not found"):
        load_mapping(tmp_path / "absent.toml")


@pytest.mark.parametrize(
    ("name", "declared", "agency"),
    [
        ("cbp", None, "cbp"),
        ("cbp_2021", None, "cbp"),
        ("usbp", None, "cbp"),
        ("ero_releases", None, "ice"),
        ("ice2", None, "ice"),
        ("orr", None, "hhs"),
        ("referrals", None, None),  # the name says no agency
        ("referrals", "hhs", "hhs"),  # declared
        ("cbp_copy", "ice", "ice"),  # a declaration wins over the name
    ],
)
def test_each_source_knows_its_agency(
    tmp_path: Path, name: str, declared: str | None, agency: str | None
) -> None:
    text = GOOD.replace('name = "cbp"', f'name = "{name}"').replace(
        'source = "cbp"', f'source = "{name}"'
    )
    if declared is not None:
        text = text.replace('key = "EVENT_ID"', f'key = "EVENT_ID"\nagency = "{declared}"')
    mapping = load_mapping(write(tmp_path, text))
    assert mapping.sources[0].agency == agency
    assert mapping.agencies().get(name) == agency
    assert mapping.agencies()["hhs"] == "hhs"


def test_an_unknown_agency_is_a_mapping_problem(tmp_path: Path) -> None:
    text = GOOD.replace('key = "EVENT_ID"', 'key = "EVENT_ID"\nagency = "uscis"')
    with pytest.raises(ConfigError, match="agency must be one of cbp, ice, hhs"):
        load_mapping(write(tmp_path, text))
