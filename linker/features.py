"""Per-record features prepared once, so comparing millions of pairs is array lookups.

Comparing a pair means looking up both records' values. Doing that with strings for
every pair is slow, so every column compared for equality is factorized once into int32
codes (-1 = null), and columns compared *across* each other (a given name against a
family name, to catch first/last swaps) share one code space. Fuzzy comparisons need
text, kept as object arrays with "" for null. `PairFeatures` then gathers both sides for
a batch of pairs by integer indexing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from linker import columns as C
from linker.distinct import per_distinct, text_categorical
from linker.standardize.text import factorize, text_array, text_codes

# Derived columns (not canonical fields): computed here, used by comparisons and blocking.
FAMILY_SORTED = "family_sorted"  # both surnames sorted: order-insensitive equality
GIVEN_FULL = "given_full"  # given + middle names: token-set comparison
SELF_REF = "self_ref"  # "<source>:<record_key>", what a cross_reference cites
CITED_REF = "cited_ref"  # the cross_reference in the same key form as SELF_REF
PHONE_LAST7 = "phone_last7"

# Groups of columns sharing one code space (compared across each other).
JOINT_GROUPS: tuple[tuple[str, ...], ...] = (
    (C.GIVEN_NAME_CANONICAL, C.FAMILY_NAME_1, C.FAMILY_NAME_2),
    (CITED_REF, SELF_REF),
    (C.GIVEN_PHONETIC, C.FAMILY_1_PHONETIC, C.FAMILY_2_PHONETIC),
    # the whole given and family texts: a record with the two columns swapped
    # ("DOS SANTOS DA SILVA" / "ANTONIO") holds the other's values column for column
    (C.GIVEN_NAME, C.FAMILY_NAME),
)
SINGLE_CODED: tuple[str, ...] = (
    C.SOURCE,
    FAMILY_SORTED,
    C.DOB,
    C.A_NUMBER,
    C.DOCUMENT_ID,
    C.PERSON_ID,
    C.SEX,
    C.COUNTRY,
    C.ADDRESS_KEY,
    C.POSTAL_CODE,
    C.CITY,
    C.STATE,
    C.PHONE,
    PHONE_LAST7,
    C.FAMILY_GROUP,
    C.ROW_KEY,
)
TEXT_COLUMNS: tuple[str, ...] = (
    C.GIVEN_NAME,
    GIVEN_FULL,
    C.FAMILY_NAME_1,
    C.FAMILY_NAME,
    C.ADDRESS,
    C.DOB,
    C.A_NUMBER,
    C.DOCUMENT_ID,
)
NUMERIC_COLUMNS: tuple[str, ...] = (C.DOB_YEAR, C.DOB_MONTH, C.DOB_DAY)
# Term-frequency columns whose frequency is also taken among the records of one country
# (see `shares_within_country`).
COUNTRY_TF_COLUMNS: tuple[str, ...] = (C.GIVEN_NAME_CANONICAL,)
# Text columns checked for a one-character typo: short codes, held as character grids.
TYPO_COLUMNS: tuple[str, ...] = (C.DOB, C.A_NUMBER, C.DOCUMENT_ID)
# Text columns whose words are compared as sets (a compound given name against one part
# of it), held as token ids (see TokenSets).
TOKEN_COLUMNS: tuple[str, ...] = (GIVEN_FULL,)


@dataclass(frozen=True)
class CharacterGrid:
    """Distinct values as one row of character codes each (zero-padded), with lengths:
    two values of equal length are compared position by position in numpy.

    The rows are also viewed as 64-bit words (8 one-byte or 2 four-byte characters
    each), so counting the positions where two values differ is a few word operations
    per pair rather than one per character.
    """

    chars: np.ndarray  # (values, width) uint8 when every character is below 256, else uint32
    words: np.ndarray  # (values, width * itemsize / 8) uint64: the same rows
    lengths: np.ndarray  # int64 per value
    exact: np.ndarray  # bool per value: its row holds it (numpy drops trailing NULs)

    @classmethod
    def of(cls, values: np.ndarray) -> CharacterGrid:
        text = np.asarray(values, dtype=object).astype(str) if len(values) else np.array([""])
        width = max(int(text.dtype.itemsize // 4), 1)
        chars = np.ascontiguousarray(text).view(np.uint32).reshape(len(text), width)
        chars = chars[: len(values)]
        if chars.size == 0 or int(chars.max()) < 256:
            chars = chars.astype(np.uint8)
        per_word = 8 // chars.itemsize
        padded = np.zeros((len(chars), -(-width // per_word) * per_word), dtype=chars.dtype)
        padded[:, :width] = chars
        words = padded.view(np.uint64)
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        exact = np.char.str_len(text)[: len(values)] == lengths
        return cls(chars, words, lengths, exact)

    def differing(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Per pair of value codes, at how many positions their rows differ."""
        x = self.words[left] ^ self.words[right]
        unit = self.chars.itemsize
        ones = _LOW_BIT_PER_CHAR[unit]
        shift = 4 * unit
        while shift:  # fold every bit of a character into its lowest bit
            x |= x >> np.uint64(shift)
            shift //= 2
        x &= ones
        # the multiply adds the per-character bits up into the top character
        return ((x * ones) >> np.uint64(64 - 8 * unit)).sum(axis=1)


_LOW_BIT_PER_CHAR = {1: np.uint64(0x0101010101010101), 4: np.uint64(0x0000000100000001)}


def token_subset(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True where the words of one side are all among the other's (token_set_ratio 100),
    by rapidfuzz for each pair: what `TokenSets` answers faster."""
    return process.cpdist(a, b, scorer=fuzz.token_set_ratio, score_cutoff=100, workers=-1) >= 100


@dataclass(frozen=True)
class TokenSets:
    """Distinct values as rows of word ids (each word once, -1 padding), so whether the
    words of one value are all among another's is a few integer operations per pair.

    It answers what rapidfuzz's token_set_ratio of 100 answers (words split on white
    space, repeats ignored, a value without words contained in nothing), without
    rebuilding both word sets for every one of millions of pairs. Each value also has a
    64-bit mask with one bit per word (its id modulo 64): a set contained in another has
    its bits among the other's, so the masks rule out nearly every pair at once and only
    the rest are checked word by word. Rows are `WIDTH` ids wide; the rare value with
    more words is `wide`, and a pair holding one goes to rapidfuzz.
    """

    WIDTH: ClassVar[int] = 4

    ids: np.ndarray  # (values, WIDTH) int32, -1 padded
    sizes: np.ndarray  # int64 per value: its distinct words
    masks: np.ndarray  # uint64 per value: bit (id % 64) set for each of its words
    wide: np.ndarray  # bool per value: more words than WIDTH

    @classmethod
    def of(cls, values: np.ndarray) -> TokenSets:
        words = [list(dict.fromkeys(str(v).split())) for v in values]
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        wide = sizes > cls.WIDTH
        kept = np.minimum(sizes, cls.WIDTH)
        flat = [w for row in words for w in row[: cls.WIDTH]]
        ids = np.full((len(words), cls.WIDTH), -1, dtype=np.int32)
        masks = np.zeros(len(words), dtype=np.uint64)
        if flat:
            codes = pd.factorize(np.array(flat, dtype=object))[0]
            rows = np.repeat(np.arange(len(words)), kept)
            starts = np.repeat(np.cumsum(kept) - kept, kept)
            ids[rows, np.arange(len(flat)) - starts] = codes
            bits = np.left_shift(np.uint64(1), (codes % 64).astype(np.uint64))
            np.bitwise_or.at(masks, rows, bits)
        return cls(ids, sizes, masks, wide)

    def contained(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Per pair of value codes (neither `wide`): the words of one are all among the
        other's, and both have words."""
        ml, mr = self.masks[left], self.masks[right]
        out = ((ml & ~mr) == 0) | ((mr & ~ml) == 0)
        out &= (self.sizes[left] > 0) & (self.sizes[right] > 0)
        maybe = np.flatnonzero(out)
        a, b = self.ids[left[maybe]], self.ids[right[maybe]]
        shared = np.zeros(len(maybe), dtype=np.int64)
        for i in range(self.WIDTH):  # ids in a row are distinct: count the common ones
            for j in range(self.WIDTH):
                shared += (a[:, i] == b[:, j]) & (a[:, i] >= 0)
        sizes_a, sizes_b = self.sizes[left[maybe]], self.sizes[right[maybe]]
        out[maybe] = (shared == sizes_a) | (shared == sizes_b)
        return out


@dataclass(frozen=True)
class RecordFeatures:
    """Columns of the records as codes, text and numbers, indexed by record position."""

    n: int
    codes: dict[str, np.ndarray]
    text_codes: dict[str, np.ndarray]  # per text column: codes into `uniques`
    uniques: dict[str, np.ndarray]  # per text column: its distinct values, by code
    numbers: dict[str, np.ndarray]  # float32 (exact for day, month, year) with NaN for null
    dob_quality: np.ndarray  # int8 position in C.DOB_QUALITIES, -1 for null
    frequencies: dict[str, np.ndarray] = field(default_factory=dict)  # per code: share
    # per COUNTRY_TF_COLUMNS column, per record: its value's share among the records of
    # its country (NaN where either is null)
    country_shares: dict[str, np.ndarray] = field(default_factory=dict)
    # per TYPO_COLUMNS column: its distinct values as a character grid (see CharacterGrid)
    grids: dict[str, CharacterGrid] = field(default_factory=dict)
    # per TOKEN_COLUMNS column: its distinct values' words (see TokenSets)
    tokens: dict[str, TokenSets] = field(default_factory=dict)

    def frequency(self, column: str, codes: np.ndarray) -> np.ndarray:
        """Share of records holding each code's value (NaN for null codes)."""
        table = self.frequencies[column]
        out = np.full(len(codes), np.nan)
        ok = codes >= 0
        out[ok] = table[codes[ok]]
        return out


def derive_columns(records: pd.DataFrame) -> pd.DataFrame:
    """The derived columns above, for a records frame (a new frame; input untouched).

    Name and phone keys are derived once per distinct input (see `linker.distinct`) and
    come back as categoricals, so blocking and comparison factorize them for free.
    """
    family = {"f1": records[C.FAMILY_NAME_1], "f2": records[C.FAMILY_NAME_2]}
    given = {"given": records[C.GIVEN_NAME], "middle": records[C.MIDDLE_NAME]}
    return pd.DataFrame(
        {
            FAMILY_SORTED: per_distinct(_family_sorted, family),
            GIVEN_FULL: per_distinct(_given_full, given),
            SELF_REF: self_reference(records),
            CITED_REF: reference_form(records[C.CROSS_REFERENCE]),
            PHONE_LAST7: _phone_last_seven(records[C.PHONE]),
        },
        index=records.index,
    )


def self_reference(records: pd.DataFrame) -> pd.Series:
    """ "<source>:<record_key>" per record, the key in `reference_form`."""
    source = text_array(records[C.SOURCE])
    try:
        key = text_array(records[C.RECORD_KEY])
    except (pa.ArrowException, UnicodeError):  # keys that are not text, a lone surrogate
        key = pa.array([str(k).encode("utf-8", "replace").decode() for k in records[C.RECORD_KEY]])
    return _joined(source, _key_form(key), records.index)


def reference_form(refs: pd.Series) -> pd.Series:
    """ "<source>:<key>" with the key's letters and digits only, upper-cased: the form in
    which a cross-reference and the record it cites are compared.

    The citing agency types the other agency's key by hand: "rgv-19-000287" and
    "RGV 19 000287" cite "RGV190000287". Keys that differ only in punctuation would be
    one record's key written two ways, not two records. A key with nothing left is null.
    """
    if not carries_data(refs):
        return pd.Series([None] * len(refs), index=refs.index, dtype=object)
    try:
        text = text_array(refs)
    except (pa.ArrowException, UnicodeError):  # a lone surrogate: keep the text as it is
        return refs.astype(object)
    cited = pc.fill_null(pc.match_substring(text, ":"), False)  # "<source>:" or nothing
    parts = pc.split_pattern(
        pc.if_else(cited, text, pa.scalar(None, pa.string())), ":", max_splits=1
    )
    return _joined(pc.list_element(parts, 0), _key_form(pc.list_element(parts, 1)), refs.index)


def _key_form(key: pa.Array) -> pa.Array:
    """Upper-case letters and digits only; null when nothing is left. ASCII upper case is
    enough: whatever is not A-Z or 0-9 afterwards goes anyway, and only the keys holding
    such a character go through the regex."""
    key = pc.ascii_upper(key)
    other = pc.fill_null(pc.match_substring_regex(key, _NOT_KEY_CHARACTER), False)
    if pc.any(other).as_py():
        kept = pc.replace_substring_regex(pc.filter(key, other), _NOT_KEY_CHARACTER, "")
        key = pc.replace_with_mask(key, other, kept)
    return pc.if_else(pc.equal(key, ""), pa.scalar(None, pa.string()), key)


def _joined(source: pa.Array, key: pa.Array, index: pd.Index) -> pd.Series:
    joined = pc.binary_join_element_wise(source, key, ":")
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=index, dtype=object)


_NOT_KEY_CHARACTER = "[^A-Z0-9]"


def _family_sorted(frame: pd.DataFrame) -> pd.Series:
    """Both surnames in sorted order, one space between: order-insensitive equality."""
    f1, f2 = frame["f1"], frame["f2"]
    lo = f1.where(f2.isna() | (f1 <= f2), f2)
    hi = f2.where(f2.isna() | (f1 <= f2), f1)
    return lo.where(hi.isna(), lo + " " + hi)


def _given_full(frame: pd.DataFrame) -> pd.Series:
    given, middle = frame["given"], frame["middle"]
    full = given.where(middle.isna(), given.fillna("") + " " + middle).str.strip()
    return full.where(full.str.len() > 0)


def _phone_last_seven(phone: pd.Series) -> pd.Series:
    """The last seven characters of each phone of at least seven (the local number,
    whatever country code or area code came before it).

    Nearly every phone is distinct, so Arrow slices every row; a column Arrow cannot take
    (a value that is not text, a lone surrogate) goes the per-distinct way.
    """
    try:
        text = text_array(phone)
    except (pa.ArrowException, UnicodeError):
        return per_distinct(_last_seven, {"phone": phone})
    long_enough = pc.greater_equal(pc.utf8_length(text), 7)
    tail = pc.if_else(long_enough, pc.utf8_slice_codeunits(text, -7), pa.scalar(None, pa.string()))
    return text_categorical(tail, phone.index)


def _last_seven(frame: pd.DataFrame) -> pd.Series:
    phone = frame["phone"]
    return phone.str[-7:].where(phone.str.len() >= 7)


def carries_data(values: pd.Series, head: int = 1_000) -> bool:
    """Whether any value is not null. The first rows settle it for nearly every column,
    so the full null scan (slow on a million Python strings) runs only when they are
    all null."""
    return bool(values.iloc[:head].notna().any() or values.notna().any())


def prepare_features(
    records: pd.DataFrame, derived: pd.DataFrame | None = None, *, workers: int = 1
) -> RecordFeatures:
    """Factorize, gather text and numbers once. `records` must be ordered by RECORD_ID;
    `derived` is `derive_columns(records)` when the caller already has it. Text columns
    are encoded side by side in `workers` threads (Arrow releases the GIL)."""
    ids = records[C.RECORD_ID].to_numpy()
    if len(records) == 0:
        raise ValueError("no records to link")
    if not np.array_equal(ids, np.arange(len(records))):
        raise ValueError("records must be ordered by record_id 0..n-1 before linkage")
    derived = derive_columns(records) if derived is None else derived
    needed = set(SINGLE_CODED) | set(TEXT_COLUMNS) | set(NUMERIC_COLUMNS) | {C.DOB_QUALITY}
    needed |= {c for group in JOINT_GROUPS for c in group}
    # A view of the columns needed, not a copy of the whole records frame.
    frame = {c: (derived[c] if c in derived.columns else records[c]) for c in needed}
    codes: dict[str, np.ndarray] = {}
    frequencies: dict[str, np.ndarray] = {}
    # A column both coded and compared as text (A-number, document id, DOB) is
    # factorized once: its codes serve both.
    factorize_alone = list(dict.fromkeys([*SINGLE_CODED, *TEXT_COLUMNS]))
    with ThreadPoolExecutor(max(1, workers)) as pool:
        joint = pool.map(lambda group: _joint_codes(frame, group), JOINT_GROUPS)
        alone = pool.map(lambda col: _factorized_int32(frame[col]), factorize_alone)
        for group_codes in joint:
            codes.update(group_codes)
        factorized = dict(zip(factorize_alone, alone, strict=True))
    for col in SINGLE_CODED:
        codes[col] = factorized[col][0]
    for col, col_codes in codes.items():
        counts = np.bincount(col_codes[col_codes >= 0], minlength=int(col_codes.max()) + 1)
        frequencies[col] = counts / max(len(records), 1)
    country_shares = {
        col: shares_within_country(codes[col], codes[C.COUNTRY]) for col in COUNTRY_TF_COLUMNS
    }
    text_codes: dict[str, np.ndarray] = {}
    uniques: dict[str, np.ndarray] = {}
    for col in TEXT_COLUMNS:
        text_codes[col], uniques[col] = factorized[col]
    # float32, not float64: half the bytes to gather for every pair, still exact.
    numbers = {
        col: frame[col].astype("Float64").to_numpy(dtype=np.float32, na_value=np.nan)
        for col in NUMERIC_COLUMNS
    }
    # A small int per quality: comparing 10M Python strings per batch is what it replaces.
    quality = pd.Categorical(frame[C.DOB_QUALITY], categories=C.DOB_QUALITIES)
    return RecordFeatures(
        n=len(records),
        codes=codes,
        text_codes=text_codes,
        uniques=uniques,
        numbers=numbers,
        dob_quality=quality.codes.astype(np.int8),
        frequencies=frequencies,
        country_shares=country_shares,
        grids={col: CharacterGrid.of(uniques[col]) for col in TYPO_COLUMNS},
        tokens={col: TokenSets.of(uniques[col]) for col in TOKEN_COLUMNS},
    )


def shares_within_country(codes: np.ndarray, country: np.ndarray) -> np.ndarray:
    """Per record, the share of the records of its country that hold its value (NaN
    where the value or the country is null). Records of the country without a value
    count in the whole, as records without a value count in `frequencies`.

    Given names and surnames are not independent: both follow the nationality. Taken
    over all records, "KHRYSTYNA" and "BONDARENKO" are each rare, and the product of the
    two shares says two records agreeing on both are almost surely one person; among
    Ukrainian records the given name is common, and the 1M sample held dozens of
    Khrystyna Bondarenkos. The given name's share within the country corrects the
    product (the surname keeps its share over all records).
    """
    out = np.full(len(codes), np.nan)
    known = (codes >= 0) & (country >= 0)
    if not known.any():
        return out
    value, place = codes[known].astype(np.int64), country[known].astype(np.int64)
    joint = value * (int(place.max()) + 1) + place
    _, inverse, counts = np.unique(joint, return_inverse=True, return_counts=True)
    per_country = np.bincount(country[country >= 0].astype(np.int64))
    out[known] = counts[inverse] / per_country[place]
    return out


def _factorized_int32(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """int32 codes (-1 for null) and the distinct values, as an object array; exact for
    any text (see `factorize`), and free for a categorical."""
    codes, distinct = _codes_and_values(values)
    return codes.astype(np.int32), distinct


def _joint_codes(frame: dict[str, pd.Series], cols: Sequence[str]) -> dict[str, np.ndarray]:
    """int32 codes (-1 for null) sharing one code space across `cols`: equal values get
    equal codes whichever column holds them. Each column's distinct values are coded
    together, then spread back through the column's own codes (free for a categorical)."""
    parts = [_codes_and_values(frame[c]) for c in cols]
    joint, _ = factorize(np.concatenate([values for _, values in parts]))
    out: dict[str, np.ndarray] = {}
    offset = 0
    for col, (codes, values) in zip(cols, parts, strict=True):
        table = np.append(joint[offset : offset + len(values)], -1)  # code -1 stays null
        out[col] = table[codes].astype(np.int32)
        offset += len(values)
    return out


def _codes_and_values(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values; text by Arrow, so columns encode in parallel threads."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.int64), values.cat.categories.to_numpy(
            dtype=object
        )
    encoded = text_codes(values)
    if encoded is not None:
        codes, distinct = encoded
        return codes, distinct.to_numpy(zero_copy_only=False).astype(object, copy=False)
    return factorize(values)


@dataclass(frozen=True)
class PairFeatures:
    """Both sides of a batch of pairs, gathered lazily from RecordFeatures."""

    records: RecordFeatures
    left: np.ndarray  # record positions
    right: np.ndarray
    _cache: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.left)

    def code(self, column: str, side: str) -> np.ndarray:
        return self._take("code", column, side, self.records.codes[column])

    def text(self, column: str, side: str) -> np.ndarray:
        """Values of a text column for one side, "" for null."""
        values = np.append(self.records.uniques[column], "")
        return values[self.text_code(column, side)]  # code -1 picks the trailing ""

    def text_code(self, column: str, side: str) -> np.ndarray:
        return self._take("text", column, side, self.records.text_codes[column])

    def similarity(
        self,
        column: str,
        scorer: Callable[[np.ndarray, np.ndarray], np.ndarray],
        where: np.ndarray | None = None,
    ) -> np.ndarray:
        """`scorer` over both sides' values, computed once per distinct pair of values.

        Candidate pairs repeat the same value pairs heavily (common names, shared
        addresses), so scoring distinct (left, right) code pairs and scattering the
        result back is several times faster than scoring every pair. Null sides score 0,
        and so do pairs outside `where`: a comparison passes the pairs an earlier,
        cheaper level has not already placed, since the first level that holds wins.
        """
        left, right = self.text_code(column, "l"), self.text_code(column, "r")
        out = np.zeros(len(left), dtype=np.float64)
        both = (left >= 0) & (right >= 0)
        if where is not None:
            both &= where
        if not both.any():
            return out
        width = np.int64(len(self.records.uniques[column]) + 1)
        keys = left[both].astype(np.int64) * width + right[both]
        inverse, distinct = pd.factorize(keys)
        values = self.records.uniques[column]
        scores = scorer(values[distinct // width], values[distinct % width])
        out[both] = np.asarray(scores, dtype=np.float64)[inverse]
        return out

    def one_edit_apart(self, column: str, where: np.ndarray) -> np.ndarray:
        """Both values differ by exactly one edit, a swap of two adjacent characters
        counting one (optimal string alignment distance 1), for the pairs in `where`
        whose values are both known and different.

        Equal lengths (nearly all pairs: dates, A-numbers) are compared character by
        character in numpy: one substitution, or two adjacent positions crossed. A
        length difference of one (or a value with NUL characters) goes to rapidfuzz; of
        more, it is never one edit.
        """
        left, right = self.text_code(column, "l"), self.text_code(column, "r")
        out = np.zeros(len(left), dtype=bool)
        todo = np.flatnonzero(where & (left >= 0) & (right >= 0) & (left != right))
        if not len(todo):
            return out
        grid = self.records.grids[column]
        lo, ro = left[todo], right[todo]
        gap = np.abs(grid.lengths[lo] - grid.lengths[ro])
        same = (gap == 0) & grid.exact[lo] & grid.exact[ro]
        count = grid.differing(lo[same], ro[same])
        out[todo[same][count == 1]] = True
        two = np.flatnonzero(same)[count == 2]  # a swap of two adjacent characters?
        a, b = grid.chars[lo[two]], grid.chars[ro[two]]
        differs = a != b
        crossed = differs[:, :-1] & differs[:, 1:]
        crossed &= (a[:, :-1] == b[:, 1:]) & (a[:, 1:] == b[:, :-1])
        out[todo[two]] = crossed.any(axis=1)
        near = ~same & (gap <= 1)
        if near.any():
            values = self.records.uniques[column]
            distance = process.cpdist(
                values[lo[near]], values[ro[near]], scorer=OSA.distance, workers=-1
            )
            out[todo[near]] = distance == 1
        return out

    def tokens_contained(self, column: str, where: np.ndarray) -> np.ndarray:
        """The words of one side's value are all among the other's, for the pairs in
        `where` whose values are both known (rapidfuzz's token_set_ratio of 100).

        Word ids compared in numpy for every pair (a distinct-pair pass as in
        `similarity` costs more than the comparison itself); pairs with a value of many
        words go to rapidfuzz.
        """
        left, right = self.text_code(column, "l"), self.text_code(column, "r")
        out = np.zeros(len(left), dtype=bool)
        todo = np.flatnonzero(where & (left >= 0) & (right >= 0))
        if not len(todo):
            return out
        tokens = self.records.tokens[column]
        lo, ro = left[todo], right[todo]
        wide = tokens.wide[lo] | tokens.wide[ro]
        narrow = ~wide
        out[todo[narrow]] = tokens.contained(lo[narrow], ro[narrow])
        if wide.any():
            values = self.records.uniques[column]
            out[todo[wide]] = token_subset(values[lo[wide]], values[ro[wide]])
        return out

    def number(self, column: str, side: str) -> np.ndarray:
        return self._take("num", column, side, self.records.numbers[column])

    def dob_quality_is(self, side: str, quality: str) -> np.ndarray:
        """Whether that side's date of birth has `quality` (one of C.DOB_QUALITIES)."""
        codes = self._take("q", C.DOB_QUALITY, side, self.records.dob_quality)
        return codes == C.DOB_QUALITIES.index(quality)

    def _take(self, kind: str, column: str, side: str, source: np.ndarray) -> np.ndarray:
        key = (f"{kind}:{column}", side)
        if key not in self._cache:
            # take, not [ ]: the same gather, a fifth to a third faster
            self._cache[key] = source.take(self.left if side == "l" else self.right)
        return self._cache[key]

    # -- common predicates ------------------------------------------------------------
    def either_null(self, column: str) -> np.ndarray:
        get = self.code if column in self.records.codes else self.text_code
        return (get(column, "l") < 0) | (get(column, "r") < 0)

    def equal(self, column: str, other: str | None = None) -> np.ndarray:
        """Left `column` equals right `other` (default the same column); never for nulls."""
        a = self.code(column, "l")
        b = self.code(other or column, "r")
        return (a == b) & (a >= 0)
