"""The bulk name parsers (`name_bulk`, Arrow) and `standardize_names`' per-distinct
assembly against the per-text rules of `name_rules`, their specification.

The bulk path reads "plain" texts in Arrow and hands every other text to the per-text
parser, so these tests feed it names built to sit on either side of that line
(accents, particles, conjunctions, titles, placeholders, remarks, commas, hyphens,
apostrophes, odd whitespace, non-ASCII scripts, nulls) and require the very same fields.
A row-by-row reference built from the per-text parsers checks the whole of
`standardize_names` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker import columns as C
from linker.standardize import name_bulk, names
from linker.standardize.name_rules import (
    NO_FAMILY,
    NO_GIVEN,
    NO_MIDDLE,
    NO_SPLIT,
    family_fields,
    given_fields,
    middle_fields,
    split_full,
    whole_in_family,
    whole_in_given,
)
from linker.standardize.names import NAME_COLUMNS, standardize_names
from linker.standardize.text import phonetic_code


@pytest.fixture(autouse=True, scope="module")
def arrow_for_every_batch() -> Iterator[None]:
    """The bulk path takes only batches of `BULK_FROM` texts or more; here it takes
    every batch, so that small generated lists exercise it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(name_bulk, "BULK_FROM", 0)
        patch.setattr(names, "BULK_FROM", 0)
        yield


WORDS = [
    # given names, compound heads, nicknames, romanizations
    "JUAN", "MARIA", "JOSE", "ANA", "LUIS", "CARLOS", "PEPE", "MA", "JUANCA", "OLEKSANDR",
    "CARMEN", "JESUS", "GUADALUPE", "ELENA", "MARIE", "JEAN", "PIERRE",
    # surnames, some also given names
    "GARCIA", "LOPEZ", "CRUZ", "HERNANDEZ", "SALVADOR", "MARTIN", "SINGH", "NAKAMURA",
    "PEREZ", "XOL", "BAPTISTE",
    # particles, conjunctions, titles, placeholders, alias markers
    "DE", "LA", "DEL", "LOS", "SAN", "VAN", "Y", "E", "JR", "SR", "III", "DRA",
    "FNU", "LNU", "NMN", "UNKNOWN", "AKA", "ALIAS", "A.K.A.", "ALIAS:",
    # initials, accents, other scripts, digits
    "L", "J.", "José", "Núñez", "MARÍA", "Müller", "ÀKA", "Олена", "王", "ß", "Æ",
    "garcía", "de", "y", "o'brien", "D'ANGELO", "A'KA", "3RD", "12",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "  ", ",", ", ", " , ", "-", "'", ".", "\t", "\x0b", "，", "\xa0"]
REMARKS = ["(MOTHER)", "[UAC]", '"PEPE"', "(", '"', "]", "A.K"]


def _written(words: list[str], separators: list[str], case: str) -> str:
    """Words joined by the separators (a space once they run out), in one letter case."""
    text = "".join(w + (separators[i] if i < len(separators) else " ") for i, w in enumerate(words))
    return {"upper": text.upper(), "title": text.title(), "lower": text.lower()}.get(case, text)


# Names of the shapes the extracts hold, and of shapes meant to break a fast path.
name_texts = st.one_of(
    st.builds(
        _written,
        st.lists(st.sampled_from(WORDS) | st.sampled_from(REMARKS), min_size=1, max_size=6),
        st.lists(st.sampled_from(SEPARATORS), max_size=6),
        st.sampled_from(["upper", "title", "lower", "as is"]),
    ),
    st.builds(  # "LAST, FIRST" with any words on either side
        "{}, {}".format,
        st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join),
        st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join),
    ),
    st.text(max_size=20),
    st.text(alphabet=" ,-'.()\"ABCDEYZ", max_size=20),
)
texts_or_none = st.lists(st.none() | name_texts, max_size=25)


def by_rules(parse_one: Callable[[str], tuple[Any, ...]], absent: tuple[Any, ...]) -> Callable:
    """The specification: the per-text parser on each text, as field columns."""

    def parse(texts: Sequence[str | None]) -> list[list[Any]]:
        rows = [absent if t is None else parse_one(t) for t in texts]
        return [[row[k] for row in rows] for k in range(len(absent))]

    return parse


PAIRS = [
    (name_bulk.family_columns, by_rules(family_fields, NO_FAMILY)),
    (name_bulk.given_columns, by_rules(given_fields, NO_GIVEN)),
    (name_bulk.middle_columns, by_rules(middle_fields, NO_MIDDLE)),
    (name_bulk.full_columns, by_rules(split_full, NO_SPLIT)),
    (name_bulk.whole_in_given_columns, by_rules(whole_in_given, NO_SPLIT)),
    (name_bulk.whole_in_family_columns, by_rules(whole_in_family, NO_SPLIT)),
]
PAIR_IDS = ["family", "given", "middle", "full", "whole_in_given", "whole_in_family"]


def assert_same_fields(bulk: Callable, rules: Callable, texts: list[str | None]) -> None:
    got = [list(column) for column in bulk(texts)]
    want = rules(texts)
    assert got == want
    for column_got, column_want in zip(got, want, strict=True):  # bool stays bool, str str
        assert [type(v) for v in column_got] == [type(v) for v in column_want]


@pytest.mark.parametrize(("bulk", "rules"), PAIRS, ids=PAIR_IDS)
@settings(max_examples=150)
@given(texts=texts_or_none)
def test_bulk_parsers_equal_the_rules(bulk: Callable, rules: Callable, texts: list) -> None:
    assert_same_fields(bulk, rules, texts)


@pytest.mark.parametrize(("bulk", "rules"), PAIRS, ids=PAIR_IDS)
@given(texts=st.lists(st.none() | name_texts, min_size=1, max_size=8))
def test_bulk_parsers_read_the_normalized_output_as_the_rules_do(
    bulk: Callable, rules: Callable, texts: list
) -> None:
    """The parts a split hands on are normalized text: the bulk parsers read those too."""
    parts = [v for column in rules(texts) for v in column if isinstance(v, str)]
    assert_same_fields(bulk, rules, [None, *parts])


# One case per way a text leaves the fast path, or must not be misread on it.
CASES = [
    "",
    " ",
    "\x00",
    "GARCIA",
    "GARCIA LOPEZ",
    " GARCIA  LOPEZ ",
    "García-López",
    "HERNANDEZ Y LOPEZ",
    "DE LA CRUZ",
    "GARCIA DE",
    "LOPEZ JR.",
    "NAKAMURA",  # AKA inside a word: an ordinary surname
    "JUAN AKA PEDRO",
    "JUAN A'KA PEDRO",  # cleaning deletes the apostrophe: AKA
    "JUAN A.K.A. PEDRO",
    "JUAN A. K PEDRO",
    "JUAN 1AKA PEDRO",
    "JUAN ÀKA PEDRO",
    "MARIA (MOTHER)",
    "[UAC] JOSE",
    '"PEPE" JOSE',
    "“PEPE” JOSE",  # curly quotes: a remark once transliterated, not as written
    "Pérez de la Cruz",
    "JOSÉ (MOTHER)",
    "JOSÉ A.\u2003K.A. PEDRO",  # an em space is whitespace to the alias rule
    "JOSÉ A.\u2029K.A. PEDRO",  # and so is U+2029, which transliterates to two
    "JOSÉ ALIAſ PEDRO",  # a long s is an S to a case-blind match
    "JOSÉ \u212aAKA",  # and a Kelvin sign a K
    "«JOSE»",
    "O'Brien",
    "D`ANGELO",
    "JUAN\tCARLOS",
    "JUAN\x0bCARLOS",
    "JUAN\x1cCARLOS",
    "MA. DEL CARMEN",
    "MARIA J",
    "MARIA JOSE",
    "JUANCA",
    "JUANCA LOPEZ",
    "PACO",
    "JOSÉ",
    "JOSÉ  NÚÑEZ,\tMARÍA ",  # accented words, each transliterated once
    "Олена",
    "王小明",
    "FNU SINGH",
    "JOSE LUIS LNU",
    "NMN",
    "LOPEZ, JUAN",
    "LOPEZ,JUAN CARLOS",
    "LOPEZ , JUAN",
    "LOPEZ, ",
    ", JUAN CARLOS LOPEZ",
    "123, JUAN",
    "LOPEZ, JUAN, CARLOS",
    "LOPEZ，JUAN",  # fullwidth comma
    "DE LA CRUZ, MARIA DE LOS ANGELES",
    "DE LA CRUZ, DE JESUS MARIA",
    "LOPEZ Y GARCIA, JUAN",  # the conjunction goes from the surnames only
    "DA SILVA E SOUZA, ANA Y PEDRO",
    "LOPEZ JR, JUAN",
    "LOPEZ, SRA. MARIA",
    "LOPEZ, JUAN JR",
    "LOPEZ, FNU",
    "GARCIA DE, JOSE DE",
    "GARCIA, Y",
    "JUAN CARLOS LOPEZ",
    "GARCIA LOPEZ JOSE LUIS",
    "JEAN-PIERRE DORVIL",
    "JEAN-ROBERT JEAN-BAPTISTE",
    "JOSE L GARCIA",
    "SALVADOR",
    "Y",
    "E SOUZA",
]


@pytest.mark.parametrize(("bulk", "rules"), PAIRS, ids=PAIR_IDS)
def test_bulk_parsers_on_cases(bulk: Callable, rules: Callable) -> None:
    texts: list[str | None] = [None, *CASES, None, *[c.lower() for c in CASES]]
    assert_same_fields(bulk, rules, texts)
    for text in texts:  # and each alone, so no case rides on another's path
        assert_same_fields(bulk, rules, [text])


def test_small_batches_go_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below `BULK_FROM` texts, Arrow's fixed cost would outweigh the work (a look-up
    standardizes one name): the per-text rules answer, with the very same fields."""
    monkeypatch.setattr(name_bulk, "BULK_FROM", 500)

    def refuse(arrow: pa.Array) -> tuple:
        raise AssertionError("a small batch went to Arrow")

    monkeypatch.setattr(name_bulk, "_read_family", refuse)
    texts: list[str | None] = [None, *CASES[:100]]
    assert_same_fields(name_bulk.family_columns, by_rules(family_fields, NO_FAMILY), texts)
    monkeypatch.setattr(name_bulk, "BULK_FROM", len(texts) - 1)  # None does not count
    with pytest.raises(AssertionError, match="went to Arrow"):
        name_bulk.family_columns(texts)


def test_bulk_parsers_take_lone_surrogates_one_by_one() -> None:
    texts = ["GARCIA", "LOP\ud800EZ", None]  # Arrow cannot hold the surrogate
    with pytest.warns(RuntimeWarning):  # unidecode's, as the rules give it
        got = [list(c) for c in name_bulk.family_columns(texts)]
    with pytest.warns(RuntimeWarning):
        want = by_rules(family_fields, NO_FAMILY)(texts)
    assert got == want


@pytest.mark.parametrize(
    ("read", "texts"),
    [
        (name_bulk._read_family, ["GARCIA LOPEZ", "De la Cruz", "DA SILVA DOS SANTOS", "NAKAMURA"]),
        (name_bulk._read_given, ["JUAN", "Maria Jose", "MA. DEL CARMEN", "JOSE DE JESUS"]),
        (name_bulk._read_middle, ["JOSE", "DE JESUS", "Y"]),
        (
            name_bulk._read_full,
            [
                "LOPEZ, JUAN",
                "garcía lópez, maría josé",
                "DE LA CRUZ, MARIA DE LOS ANGELES",
                "DE LA CRUZ, DE JESUS MARIA",
                "LOPEZ, JUAN Y PEDRO",
                "JUAN CARLOS LOPEZ GARCIA",
            ],
        ),
    ],
    ids=["family", "given", "middle", "full"],
)
def test_common_shapes_stay_on_the_fast_path(read: Callable, texts: list[str]) -> None:
    """The speed comes from reading these in Arrow: they must not fall back silently."""
    _, plain = read(pa.array(texts, type=pa.string()))
    assert plain.all()


# --- standardize_names against a row-by-row reference ---------------------------------


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def reference_row(given: Any, middle: Any, family: Any, f1: Any, f2: Any, full: Any) -> tuple:
    """`standardize_names`' module rules for one row, from the per-text parsers alone."""
    given, middle, family, f1, f2, full = map(_text, (given, middle, family, f1, f2, full))
    g = NO_GIVEN if given is None else given_fields(given)
    m = NO_MIDDLE if middle is None else middle_fields(middle)
    f = NO_FAMILY if family is None else family_fields(family)
    joined = [t for t in (f1, f2) if t is not None]
    if joined and family_fields(" ".join(joined))[2] is not None:
        f = family_fields(" ".join(joined))

    def take(split: tuple[str | None, ...]) -> None:
        nonlocal g, m, f
        if split[2] is not None or split[0] is not None:
            g = NO_GIVEN if split[0] is None else given_fields(split[0])
            m = NO_MIDDLE if split[1] is None else middle_fields(split[1])
            f = NO_FAMILY if split[2] is None else family_fields(split[2])

    if given is not None and g[0] is not None and m[0] is None and f[2] is None:
        take(whole_in_given(given))
    if family is not None and f[2] is not None and g[0] is None and m[0] is None:
        take(whole_in_family(family))
    if full is not None and g[0] is None and m[0] is None and f[2] is None:
        take(split_full(full))
    canonical = g[1]
    if g[0] is None:
        canonical = m[2]
    elif g[2] and m[1] is not None:
        canonical = f"{g[1]} {m[1]}"
    full_name = " ".join(p for p in (g[0], m[0], f[2]) if p) or None

    def key(name: str | None, first: bool) -> str | None:
        if name is None:
            return None
        return phonetic_code(name.split(" ")[0] if first else name.split(" ")[-1]) or None

    return (
        g[0], m[0], f[2], f[0], f[1], canonical, full_name,
        key(canonical, True), key(f[0], False), key(f[1], False),
    )  # fmt: skip


INPUTS = ("given", "middle", "family", "family_1", "family_2", "full")


@st.composite
def name_frames(draw: st.DrawFn) -> dict[str, Any]:
    """Inputs whose rows draw from a small pool of texts, so values repeat across rows
    and columns as they do in a chunk (parsing is per distinct value)."""
    pool = draw(st.lists(st.none() | name_texts | st.just(np.nan) | st.just(7), min_size=1))
    size = draw(st.integers(min_value=1, max_value=30))
    index = pd.RangeIndex(size) if draw(st.booleans()) else pd.Index(range(size, 0, -1))
    frame: dict[str, Any] = {"index": index}
    for name in INPUTS:
        if draw(st.booleans()):
            rows = draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
            frame[name] = pd.Series(rows, index=index, dtype=object)
    return frame


@settings(max_examples=150)
@given(name_frames())
def test_standardize_names_equals_the_row_by_row_reference(frame: dict[str, Any]) -> None:
    index = frame["index"]
    out = standardize_names(**frame)
    assert list(out.columns) == list(NAME_COLUMNS)
    assert out.index.equals(index)
    columns = [frame.get(name) for name in INPUTS]
    for position in range(len(index)):
        row = [None if s is None else s.iloc[position] for s in columns]
        got = tuple(out.iloc[position])
        assert got == reference_row(*row), row
        assert all(v is None or type(v) is str for v in got)


def test_full_name_and_canonical_of_every_combination() -> None:
    """The per-pair and per-triple assembly (numpy and Arrow) on all presence patterns,
    the compound head completed or not."""
    values = {
        "given": ["MARIA", "MARIA", None, "PACO", None, "JOSE LUIS", "JUANCA", None],
        "middle": ["JOSE", None, "ELENA", "J", None, None, "DE JESUS", "MA DEL CARMEN"],
        "family": ["LOPEZ", None, "CRUZ", "DE LA CRUZ", "GARCIA DE", None, "XOL", None],
    }
    frame = {k: pd.Series(v, dtype=object) for k, v in values.items()}
    out = standardize_names(**frame)
    for position in range(len(out)):
        given_, middle, family = (values[k][position] for k in ("given", "middle", "family"))
        assert tuple(out.iloc[position]) == reference_row(given_, middle, family, None, None, None)
    assert out[C.GIVEN_NAME_CANONICAL].tolist() == [
        "MARIA JOSE", "MARIA", "ELENA", "FRANCISCO", None, "JOSE LUIS", "JUAN CARLOS",
        "MARIA CARMEN",
    ]  # fmt: skip
    assert out[C.FULL_NAME].tolist() == [
        "MARIA JOSE LOPEZ", "MARIA", "ELENA CRUZ", "PACO J DE LA CRUZ", "GARCIA DE",
        "JOSE LUIS", "JUANCA DE JESUS XOL", "MA DEL CARMEN",
    ]  # fmt: skip
