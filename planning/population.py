"""The projected population as an array with a leading runs axis, and helpers on tidy
population frames.

:class:`Population` holds persons by (run, municipality, year, sex, age) as produced by
:func:`planning.demography.project_population`; the model chain (demand, capacity, metrics)
reads its arrays, and the tidy frame (:func:`to_frame`, tens of millions of rows for a thousand
runs) is built only when a user asks for it (:meth:`Population.frame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from planning import data
from planning.errors import InputError

SEXES = ("female", "male")
N_AGES = data.MAX_AGE + 1  # ages 0..105, 105 = 105+ (SSB 07459)


def _str_column(values: Sequence[str], inner: int, outer: int) -> pd.Series:
    """A 'str' column equal to tile(repeat(values, inner), outer), written directly as Arrow
    buffers (tens of millions of rows in a fraction of a second)."""
    enc = [str(v).encode() for v in values]
    period = b"".join(e * inner for e in enc)
    lens = np.repeat(np.array([len(e) for e in enc], dtype=np.int64), inner)
    n = len(lens) * outer
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    offsets = np.empty(n + 1, dtype=np.int64)
    np.add(
        first[None, :],
        (len(period) * np.arange(outer, dtype=np.int64))[:, None],
        out=offsets[:-1].reshape(outer, len(lens)),
    )
    offsets[-1] = len(period) * outer
    payload = np.frombuffer(period * outer, dtype=np.uint8)
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(payload))
    return pd.Series(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan), copy=False)


def to_frame(
    codes: Sequence[str], years: np.ndarray, arr: np.ndarray, with_run: bool
) -> pd.DataFrame:
    """Tidy population frame from an array (run, municipality, year, sex, age), built once with
    numpy; the population column is a view of ``arr``. Rows are ordered by run, municipality,
    year, sex, age. Without runs the dtypes are those of ``data.load_population`` (str, int64,
    str, int64, float64). With runs (tens of millions of rows) municipality_code and sex are
    categoricals of the same strings and year, age and run are int32 (memory and speed)."""
    n_r, n_m, n_y, n_s, n_a = arr.shape
    it = np.int32 if with_run else np.int64
    n = arr.size
    year = np.empty(n, dtype=it)
    year.reshape(n_r * n_m, n_y, n_s * n_a)[:] = np.asarray(years, dtype=it)[None, :, None]
    age = np.empty(n, dtype=it)
    age.reshape(-1, n_a)[:] = np.arange(n_a, dtype=it)
    if with_run:  # categorical codes: a few bytes per row instead of a string each
        mun_codes = np.empty(n, dtype=np.int16)
        mun_codes.reshape(n_r, n_m, -1)[:] = np.arange(n_m, dtype=np.int16)[None, :, None]
        sex_codes = np.empty(n, dtype=np.int8)
        sex_codes.reshape(-1, n_s, n_a)[:] = np.arange(n_s, dtype=np.int8)[None, :, None]
        mun: object = pd.Categorical.from_codes(mun_codes, pd.Index(list(codes), dtype="str"))
        sex: object = pd.Categorical.from_codes(sex_codes, pd.Index(list(SEXES), dtype="str"))
    else:
        mun = _str_column(codes, n_y * n_s * n_a, n_r)
        sex = _str_column(SEXES, n_a, n_r * n_m * n_y)
    cols: dict[str, object] = {
        "municipality_code": mun,
        "year": year,
        "sex": sex,
        "age": age,
        "population": arr.reshape(-1),
    }
    if with_run:
        run = np.empty(n, dtype=np.int32)
        run.reshape(n_r, -1)[:] = np.arange(n_r, dtype=np.int32)[:, None]
        cols["run"] = run
    return pd.DataFrame(cols, copy=False)


@dataclass(frozen=True, eq=False)
class Population:
    """Persons on 1 January by run, municipality, year, sex and single age.

    ``values``: float array (runs, municipalities, years, 2, 106); run 0 is the central run,
    ``sex`` 0 female and 1 male, age 105 = 105+. ``codes``: municipality codes (axis 1, in the
    order asked for); ``years``: int array (axis 2). ``with_run``: the result of a Monte Carlo
    projection (its frame has a ``run`` column), also when it holds the central run only.
    Sums are cached; the array itself is read-only.
    """

    codes: tuple[str, ...]
    years: np.ndarray
    values: np.ndarray
    with_run: bool
    _cache: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        v = self.values
        if v.ndim != 5 or v.shape[1:] != (len(self.codes), len(self.years), 2, N_AGES):
            raise InputError(
                f"population array of shape {v.shape} does not match {len(self.codes)} "
                f"municipalities, {len(self.years)} years, 2 sexes and {N_AGES} ages",
                key="population",
            )
        v.setflags(write=False)

    @property
    def n_runs(self) -> int:
        """Number of runs including the central run 0."""
        return int(self.values.shape[0])

    @property
    def runs(self) -> np.ndarray:
        """Run numbers 0..N (int64)."""
        return np.arange(self.n_runs, dtype=np.int64)

    def by_age(self) -> np.ndarray:
        """Both sexes together: (runs, municipalities, years, 106) persons (cached)."""
        if "by_age" not in self._cache:
            a = self.values[..., 0, :] + self.values[..., 1, :]
            a.setflags(write=False)
            self._cache["by_age"] = a
        return self._cache["by_age"]  # type: ignore[return-value]

    def totals(self) -> np.ndarray:
        """Inhabitants: (runs, municipalities, years) persons (cached)."""
        if "totals" not in self._cache:
            t = self.by_age().sum(axis=-1)
            t.setflags(write=False)
            self._cache["totals"] = t
        return self._cache["totals"]  # type: ignore[return-value]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled without the cached sums and frame; unpickled read-only again."""
        return (Population, (self.codes, self.years, self.values, self.with_run))

    def central(self) -> Population:
        """Run 0 only (a view of the array; ``with_run`` kept, so its frame still has a ``run``
        column, all 0): the rows of the central run without building the frame of every run."""
        return Population(self.codes, self.years, self.values[:1], self.with_run)

    def frame(self) -> pd.DataFrame:
        """The tidy frame (:func:`to_frame`), built on first use and kept."""
        if "frame" not in self._cache:
            self._cache["frame"] = to_frame(self.codes, self.years, self.values, self.with_run)
        return self._cache["frame"].copy(deep=False)  # type: ignore[union-attr]

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Population:
        """The array of a tidy population frame (municipality_code, year, sex, age, population
        [, run]) that covers every cell; municipalities in sorted order. Raises InputError for a
        frame with missing cells, unknown sexes or ages outside 0..105."""
        need = ["municipality_code", "year", "sex", "age", "population"]
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise InputError(f"not a population frame: missing {missing}", key="population")
        with_run = "run" in frame.columns
        runs = frame["run"].to_numpy(dtype=np.int64) if with_run else np.zeros(len(frame), int)
        m_idx, codes = pd.factorize(frame["municipality_code"].astype(str), sort=True)
        years, y_idx = np.unique(frame["year"].to_numpy(dtype=np.int64), return_inverse=True)
        sex = frame["sex"].astype(str).to_numpy()
        s_idx = np.searchsorted(np.array(SEXES), sex)
        age = frame["age"].to_numpy(dtype=np.int64)
        bad_sex = (s_idx >= 2) | (np.array(SEXES)[np.minimum(s_idx, 1)] != sex)
        if bad_sex.any() or (age < 0).any() or (age >= N_AGES).any():
            raise InputError(
                "population frame with unknown sexes or ages", key="population", allowed=SEXES
            )
        n_r = int(runs.max()) + 1 if len(runs) else 1
        shape = (n_r, len(codes), len(years), 2, N_AGES)
        flat = np.ravel_multi_index((runs, m_idx, y_idx, s_idx, age), shape)
        count = np.bincount(flat, minlength=int(np.prod(shape)))
        if (count != 1).any():
            raise InputError(
                "population frame does not hold each run, municipality, year, sex and age once",
                key="population",
            )
        values = np.zeros(shape)
        values.reshape(-1)[flat] = frame["population"].to_numpy(dtype=float)
        return cls(tuple(str(c) for c in codes), years, values, with_run)


# --------------------------------------------------------------------------------------------
# helpers on population frames
# --------------------------------------------------------------------------------------------
def parse_age_group(label: str) -> tuple[int, int]:
    """'0-5' → (0, 5), '80+' → (80, 105), 'total' → (0, 105): inclusive single-age bounds."""
    lab = str(label).strip().lower()
    try:
        if lab == "total":
            return 0, data.MAX_AGE
        if lab.endswith("+"):
            lo = int(lab[:-1])
            return lo, data.MAX_AGE
        lo_s, hi_s = lab.split("-")
        lo, hi = int(lo_s), int(hi_s)
    except ValueError:
        raise InputError(
            f"unknown age group '{label}'", key="groups", allowed="'a-b', 'a+' or 'total'"
        ) from None
    if not 0 <= lo <= hi <= data.MAX_AGE:
        raise InputError(
            f"age group '{label}' out of range", key="groups", allowed=f"ages 0..{data.MAX_AGE}"
        )
    return lo, hi


def _keys(pop: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    need = {"municipality_code", "year", "age", "population"}
    missing = need - set(pop.columns)
    if missing:
        raise InputError(
            f"not a population frame: missing {sorted(missing)}",
            key="pop",
            allowed=data.POPULATION_COLUMNS,
        )
    return ["municipality_code", "year", *(["run"] if "run" in pop.columns else []), *extra]


def group_totals(pop: pd.DataFrame, groups: Sequence[str], by_sex: bool = False) -> pd.DataFrame:
    """Population of (possibly overlapping) age groups such as 'total', '0-5', '80+', '90+'.

    Returns municipality_code, year, [run], [sex], age_group, population (persons).
    """
    keys = _keys(pop, ["sex"] if by_sex else [])
    ages = pop["age"].to_numpy()
    parts = []
    for g in groups:
        lo, hi = parse_age_group(g)
        sel = pop[(ages >= lo) & (ages <= hi)]
        part = sel.groupby(keys, sort=False, observed=True)["population"].sum().reset_index()
        part.insert(len(keys), "age_group", str(g))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def aggregate_age_groups(
    pop: pd.DataFrame, bounds: Sequence[int] = (0, 6, 16, 67, 80, 90), by_sex: bool = False
) -> pd.DataFrame:
    """Sum single ages into consecutive groups starting at ``bounds`` (e.g. [0, 67, 80] →
    '0-66', '67-79', '80+'). Returns municipality_code, year, [run], [sex], age_group, population."""
    b = sorted(int(x) for x in bounds)
    if not b or b[0] != 0 or b[-1] > data.MAX_AGE:
        raise InputError(
            f"age bounds must start at 0 and stay within 0..{data.MAX_AGE}", key="bounds"
        )
    _, labels = data.age_group_labels(b)
    return group_totals(pop, labels, by_sex=by_sex)


def to_region(pop: pd.DataFrame, name: str = "region") -> pd.DataFrame:
    """Sum municipalities into one region (municipality_code = ``name``), keeping year, sex, age
    [and run]."""
    keys = [k for k in ("year", "run", "sex", "age", "age_group") if k in pop.columns]
    if "population" not in pop.columns:
        raise InputError("not a population frame: no 'population' column", key="pop")
    out = pop.groupby(keys, sort=True, observed=True)["population"].sum().reset_index()
    out.insert(0, "municipality_code", name)
    return out


def dependency_ratios(pop: pd.DataFrame) -> pd.DataFrame:
    """Old-age dependency ratio: persons aged 67+ per person aged 20-66 (SSB's definition,
    data/demography.yaml). Returns municipality_code, year, [run], old_age_dependency."""
    from planning.demography_inputs import settings

    dep = settings().old_age_dependency
    lo, hi = dep.working_ages
    t = group_totals(pop, [f"{lo}-{hi}", f"{dep.old_ages}+"])
    keys = _keys(pop)
    wide = t.pivot_table(index=keys, columns="age_group", values="population", observed=True)
    ratio = wide[f"{dep.old_ages}+"] / wide[f"{lo}-{hi}"].where(wide[f"{lo}-{hi}"] > 0)
    return ratio.rename("old_age_dependency").reset_index()


def growth(pop: pd.DataFrame, groups: Sequence[str] = ("67+", "80+", "90+")) -> pd.DataFrame:
    """Growth of age groups from the first to the last year in ``pop``.

    Returns municipality_code, [run], age_group, base_year, end_year, base, end (persons), change
    (persons) and change_pct (% of the base).
    """
    t = group_totals(pop, groups)
    y0, y1 = int(t["year"].min()), int(t["year"].max())
    keys = [k for k in _keys(pop) if k != "year"] + ["age_group"]
    a = t[t["year"] == y0].set_index(keys)["population"].rename("base")
    b = t[t["year"] == y1].set_index(keys)["population"].rename("end")
    out = pd.concat([a, b], axis=1).reset_index()
    out.insert(len(keys), "base_year", y0)
    out.insert(len(keys) + 1, "end_year", y1)
    out["change"] = out["end"] - out["base"]
    out["change_pct"] = 100.0 * out["change"] / out["base"].where(out["base"] > 0)
    return out
