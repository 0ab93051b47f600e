"""How a clerk writes a true value: names, dates of birth, A-numbers, sex, with errors.

Each function takes true values for a batch of records and returns what the extract
holds, vectorized: choices are integer arrays drawn from the generator, strings come from
small precomputed tables joined with numpy's object-array `+`. The only per-row Python is
the typo, applied to the few percent of values that get one.

Where two errors exclude each other (a blank date cannot also have its day and month
swapped) one uniform draw is cut into segments, so each error still comes out at its
configured rate instead of being shadowed by the one applied before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from linker.sampledata import pools
from linker.sampledata.config import SampleConfig

PAD2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
PAD3 = np.array([f"{i:03d}" for i in range(1000)], dtype=object)
STR3 = np.array([str(i) for i in range(1000)], dtype=object)
PAD4 = np.array([f"{i:04d}" for i in range(10000)], dtype=object)
_YEAR0 = 1900
YEARS = np.array([str(y) for y in range(_YEAR0, 2101)], dtype=object)
MONTHS = np.array(
    ["", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    + ["13"],
    dtype=object,
)
_LOWER = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def segments(u: np.ndarray, rates: list[float]) -> list[np.ndarray]:
    """Masks of consecutive segments of one uniform draw: exclusive, each at its rate."""
    out, lo = [], 0.0
    for r in rates:
        out.append((u >= lo) & (u < lo + r))
        lo += r
    return out


def join(*parts: np.ndarray, sep: str = " ") -> np.ndarray:
    """Join object string arrays with `sep`, skipping empty parts per row."""
    out = parts[0].copy()
    for p in parts[1:]:
        out = out + np.where((out != "") & (p != ""), sep, "") + p
    return out


# --- names ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NameStyle:
    """How one source writes names."""

    upper_share: float  # records written in upper case (rest: the pool's title case)
    accents: Literal["strip", "cp1252", "mixed"]  # cp1252: keep the accents cp1252 holds
    strip_rate: float = 0.0  # "mixed": share of records with accents stripped


@dataclass(frozen=True)
class Names:
    given: np.ndarray  # object
    middle: np.ndarray
    fam1: np.ndarray
    fam2: np.ndarray
    first_last_swapped: np.ndarray  # bool: the layout puts given and family swapped


def _pick_alt(
    rng: np.random.Generator,
    idx: np.ndarray,
    table: pools.NameTable,
    kind: Literal["variant", "nickname"],
    rate: float,
) -> np.ndarray:
    """Replace idx by one of its alternatives at `rate`, where the name has any."""
    if kind == "variant":
        start, count, flat = table.variant_start, table.variant_count, table.variant_idx
    else:
        start, count, flat = table.nick_start, table.nick_count, table.nick_idx
    if not len(flat):
        return idx
    safe = np.maximum(idx, 0)
    c = np.where(idx >= 0, count[safe], 0)
    use = (c > 0) & (rng.random(len(idx)) < rate)
    k = start[safe] + np.floor(rng.random(len(idx)) * np.maximum(c, 1)).astype(np.int64)
    return np.where(use, flat[np.minimum(k, len(flat) - 1)], idx)


def render_names(
    rng: np.random.Generator,
    given: np.ndarray,
    middle: np.ndarray,
    fam1: np.ndarray,
    fam2: np.ndarray,
    cfg: SampleConfig,
    style: NameStyle,
) -> Names:
    """Write each record's true name the way a clerk of this source would."""
    gt, st = pools.given_names(), pools.surnames()
    n = len(given)
    rate = cfg.transliteration_rate
    g = _pick_alt(rng, given, gt, "variant", rate)
    m = _pick_alt(rng, middle, gt, "variant", rate)
    f1 = _pick_alt(rng, fam1, st, "variant", rate)
    f2 = _pick_alt(rng, fam2, st, "variant", rate)
    g = _pick_alt(rng, g, gt, "nickname", cfg.nickname_rate)

    upper = rng.random(n) < style.upper_share
    if style.accents == "strip":
        plain = np.ones(n, dtype=bool)
    elif style.accents == "cp1252":
        plain = np.zeros(n, dtype=bool)
    else:
        plain = rng.random(n) < style.strip_rate
    accent_row = pools.TITLE_CP1252 if style.accents == "cp1252" else pools.TITLE_ACCENT
    form = np.where(plain, pools.TITLE_PLAIN, accent_row) + np.where(upper, 3, 0)
    gs, ms = gt.forms[form, g], gt.forms[form, m]
    f1s, f2s = st.forms[form, f1], st.forms[form, f2]

    has_mid = ms != ""
    merge, drop_mid = segments(rng.random(n), [cfg.middle_merge_rate, cfg.middle_drop_rate])
    gs = np.where(has_mid & merge, gs + " " + ms, gs)
    ms = np.where(has_mid & (merge | drop_mid), "", ms)

    two = (f1s != "") & (f2s != "")
    drop, swap = segments(rng.random(n), [cfg.surname_drop_rate, cfg.surname_swap_rate])
    drop_first = drop & (rng.random(n) < 0.25)
    new1 = np.where(two & (swap | drop_first), f2s, f1s)
    new2 = np.where(two & swap, f1s, np.where(two & drop, "", f2s))
    swapped = rng.random(n) < cfg.first_last_swap_rate
    return Names(given=gs, middle=ms, fam1=new1, fam2=new2, first_last_swapped=swapped)


def _typo(text: str, op: int, pos: float, letter: str) -> str:
    if len(text) < 3:
        return text
    i = min(int(pos * len(text)), len(text) - 1)
    if text.isupper():
        letter = letter.upper()
    if op == 0:  # insert
        return text[:i] + letter + text[i:]
    if op == 1 and len(text) > 3:  # delete
        return text[:i] + text[i + 1 :]
    if op == 2 and text[i] != " ":  # substitute
        return text[:i] + (letter if letter != text[i].lower() else "x") + text[i + 1 :]
    j = min(i + 1, len(text) - 1)  # transpose (or substitute's fallback)
    if i == j or text[i] == text[j]:
        return text[:i] + letter + text[i:]
    return text[:i] + text[j] + text[i] + text[j + 1 :]


def add_typos(rng: np.random.Generator, columns: list[np.ndarray], rate: float) -> list[np.ndarray]:
    """One typo (insert, delete, substitute, transpose) in one of the columns, per record.

    The column is drawn among those non-empty on the row, so a row with only a given name
    still gets its typo where one was drawn.
    """
    n = len(columns[0])
    hit = np.flatnonzero(rng.random(n) < rate)
    filled = np.stack([c[hit] != "" for c in columns], axis=1)
    score = rng.random(filled.shape) * filled
    which = np.argmax(score, axis=1)
    ops = rng.integers(0, 4, len(hit))
    pos = rng.random(len(hit))
    letters = _LOWER[rng.integers(0, 26, len(hit))]
    out = [c.copy() for c in columns]
    for k, row in enumerate(hit):
        col = out[which[k]]
        col[row] = _typo(col[row], int(ops[k]), float(pos[k]), str(letters[k]))
    return out


# --- dates ----------------------------------------------------------------------------------


def date_parts(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = dates.astype("datetime64[M]")
    y = months.astype("datetime64[Y]").astype(np.int64) + 1970
    m = months.astype(np.int64) % 12 + 1
    d = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    start = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    return ((start + 1).astype("datetime64[D]") - start.astype("datetime64[D]")).astype(np.int64)


def format_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray, fmt: str) -> np.ndarray:
    """Format integer parts with a strftime-like pattern (%Y %y %m %d %b and literals).

    Dates repeat a lot (a million records hold a few tens of thousands of distinct dates),
    so the unique (y, m, d) triples are formatted and mapped back.
    """
    code = (np.clip(y, 0, 9999) * 100 + np.clip(m, 0, 99)) * 100 + np.clip(d, 0, 99)
    uniq, inverse = np.unique(code, return_inverse=True)
    uy, um, ud = uniq // 10000, (uniq // 100) % 100, uniq % 100
    out = np.full(len(uniq), "", dtype=object)
    i = 0
    while i < len(fmt):
        if fmt[i] == "%" and i + 1 < len(fmt):
            directive = fmt[i + 1]
            if directive == "Y":
                part = YEARS[np.clip(uy - _YEAR0, 0, len(YEARS) - 1)]
            elif directive == "y":
                part = PAD2[uy % 100]
            elif directive == "m":
                part = PAD2[um]
            elif directive == "d":
                part = PAD2[ud]
            elif directive == "b":
                part = MONTHS[np.clip(um, 0, 13)]
            else:
                raise ValueError(f"unsupported date directive %{directive}")
            out = out + part
            i += 2
        else:
            out = out + fmt[i]
            i += 1
    return out[inverse.reshape(-1)]


def render_dob(
    rng: np.random.Generator,
    dob: np.ndarray,
    cfg: SampleConfig,
    fmt: str,
    other_formats: tuple[str, ...],
    estimate: np.ndarray,
) -> np.ndarray:
    """Dates of birth as written: estimates, placeholders, swaps, typos, blanks, odd formats.

    `estimate` marks records written as an age-based estimate (1 January of the true year
    +-1); on those only the blank can also happen.
    """
    n = len(dob)
    y, m, d = date_parts(dob)
    missing, impossible, placeholder, swap, typo = segments(
        rng.random(n),
        [
            cfg.dob_missing_rate,
            cfg.dob_impossible_rate,
            cfg.dob_placeholder_rate,
            cfg.dob_swap_rate,
            cfg.dob_typo_rate,
        ],
    )
    est = estimate & ~missing
    impossible &= ~est
    placeholder &= ~est
    swap &= ~est & (d <= 12) & (d != m)
    typo &= ~est

    # one-digit typos: the year's last or tens digit, or the day's last digit when valid
    part = rng.integers(0, 3, n)
    digit = rng.integers(0, 9, n)  # 0..8, shifted past the old digit below
    old1 = y % 10
    new_y1 = y - old1 + np.where(digit >= old1, digit + 1, digit)
    old10 = (y // 10) % 10
    new_y10 = y - old10 * 10 + np.where(digit >= old10, digit + 1, digit) * 10
    new_y10 = np.where(np.abs(new_y10 - y) > 30, new_y1, new_y10)  # keep it a plausible year
    oldd = d % 10
    new_d = d - oldd + np.where(digit >= oldd, digit + 1, digit)
    day_ok = (new_d >= 1) & (new_d <= _days_in_month(y, m))
    typo_y = np.where(part == 1, new_y10, new_y1)
    use_day = typo & (part == 2) & day_ok
    y = np.where(typo & ~use_day, typo_y, y)
    d = np.where(use_day, new_d, d)
    d = np.where(typo & ~use_day & (m == 2) & (d == 29), 28, d)  # a leap day in a non-leap year

    y = np.where(est, y + rng.integers(-1, 2, n), y)
    m = np.where(est | placeholder, 1, m)
    d = np.where(est | placeholder, 1, d)
    m, d = np.where(swap, d, m), np.where(swap, m, d)
    month13 = rng.random(n) < 0.5
    m = np.where(impossible, np.where(month13, 13, 2), m)
    d = np.where(impossible & ~month13, rng.integers(30, 32, n), d)

    out = format_dates(y, m, d, fmt)
    if other_formats:
        alt = (rng.random(n) < cfg.dob_other_format_rate) & ~impossible
        which = rng.integers(0, len(other_formats), n)
        for k, f in enumerate(other_formats):
            sel = alt & (which == k)
            if sel.any():
                out[sel] = format_dates(y[sel], m[sel], d[sel], f)
    out[missing] = ""
    return out


# --- A-numbers -----------------------------------------------------------------------------

ANUM_FORMATS: tuple[str, ...] = ("A9", "DASH", "D9", "D8", "HASH", "ASPACE")


def render_anumber(
    rng: np.random.Generator,
    anum: np.ndarray,
    *,
    missing_rate: float,
    typo_rate: float,
    house: str,
    variant_rate: float,
) -> np.ndarray:
    """A-numbers as written: blank, one-digit typos, and several formats.

    A012345678 (A9), A-012-345-678 (DASH), 012345678 (D9), 12345678 (D8: the leading
    zero dropped, so only numbers below 100 million get 8 digits), A# 012 345 678 (HASH),
    A 012345678 (ASPACE).
    """
    n = len(anum)
    present = (anum >= 0) & (rng.random(n) >= missing_rate)
    a = np.maximum(anum, 0)
    typo = rng.random(n) < typo_rate
    pos = rng.integers(0, 8, n)  # digit position from the right, 0..7 (never the leading one)
    p10 = 10**pos
    digit = (a // p10) % 10
    nxt = (a // (p10 * 10)) % 10
    transpose = (rng.random(n) < 0.4) & (digit != nxt)
    shift = rng.integers(1, 10, n)
    sub = a - digit * p10 + ((digit + shift) % 10) * p10
    swp = a - digit * p10 - nxt * p10 * 10 + nxt * p10 + digit * p10 * 10
    a = np.where(typo, np.where(transpose, swp, sub), a)

    others = [f for f in ANUM_FORMATS if f != house]
    fmt = np.where(rng.random(n) < variant_rate, rng.integers(0, len(others), n), -1)
    out = np.full(n, "", dtype=object)
    for k, f in [(-1, house), *enumerate(others)]:
        sel = np.flatnonzero((fmt == k) & present)
        out[sel] = _anum_format(a[sel], f)
    return out


def _anum_format(a: np.ndarray, fmt: str) -> np.ndarray:
    p1, p2, p3 = PAD3[a // 1_000_000], PAD3[(a // 1000) % 1000], PAD3[a % 1000]
    if fmt == "A9":
        return "A" + p1 + p2 + p3
    if fmt == "DASH":
        return "A-" + p1 + "-" + p2 + "-" + p3
    if fmt == "D9":
        return p1 + p2 + p3
    if fmt == "D8":  # the leading zero dropped: 8 digits where there was one
        head = a // 1_000_000
        return np.where(head < 100, PAD2[head % 100], STR3[head]) + p2 + p3
    if fmt == "HASH":
        return "A# " + p1 + " " + p2 + " " + p3
    return "A " + p1 + p2 + p3


def render_sex(
    rng: np.random.Generator, sex: np.ndarray, labels: tuple[str, str], missing_rate: float
) -> np.ndarray:
    """M/F (or Male/Female) as the source writes it; some blank, some "U"."""
    out = np.where(sex == 1, labels[1], labels[0]).astype(object)
    missing = rng.random(len(sex)) < missing_rate
    out[missing] = np.where(rng.random(int(missing.sum())) < 0.5, "", "U")
    return out
