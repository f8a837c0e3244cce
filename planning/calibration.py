"""Staffing calibrated to each municipality's own KOSTRA figures, and the first-year check.

Pure functions on tidy frames (the caller reads the data):

* :func:`staffing_table`: per municipality, home care's allocated hours per user (KOSTRA, its own
  latest year) and so its FTE per user, and the nurse share of care FTE that reproduces its
  KOSTRA nurse FTE under today's organisation. :func:`planning.capacity.evaluate` takes the table.
* :func:`first_year_check`: a scenario result's first year beside KOSTRA's latest observed
  figures per municipality and for the region (home-service users, long-term residents, nurse
  FTE, residents of housing with 24-hour staff, and heldøgn in total: the sum of the two forms),
  with the difference and whether it lies within
  the targets (:data:`TARGETS`).

Sources: SSB KOSTRA care panel (``data/kostra_care.csv``: tables 12292, 11645, 11924/14534);
the calibration year is ``catalogue.calibration.year``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from planning.errors import InputError, require_columns
from planning.parameters import ServiceCatalogue, Unit

#: Services whose nurses KOSTRA counts as care-service nurse FTE (pleie og omsorg).
CARE_SERVICES: tuple[str, ...] = (
    "hjemmetjenester",
    "langtidsopphold",
    "heldogn_bolig",
    "kad",
    "intermediaer",
)
BED_SERVICES: tuple[str, ...] = ("kad", "intermediaer")
NURSE = "sykepleier"

#: First-year targets: |modelled / observed - 1| for the region and per municipality.
TARGETS = {"region": 0.10, "municipality": 0.25}

#: Indicators of the first-year check: KOSTRA indicator -> (label nb, label en).
CHECKED: dict[str, tuple[str, str]] = {
    "home_service_users": ("Mottakere av hjemmetjenester", "Home-service users"),
    "long_term_residents": ("Beboere på langtidsopphold", "Long-term residents"),
    "nurse_fte": ("Årsverk sykepleiere i omsorgstjenestene", "Nurse FTE in care services"),
    "residents_24h_housing": (
        "Beboere i bolig med heldøgns bemanning",
        "Residents of housing with 24-hour staff",
    ),
    "heldogn": (
        "Heldøgnsomsorg i alt (langtidsopphold og bolig med heldøgns bemanning)",
        "Heldøgn care in total (long-term residents and housing with 24-hour staff)",
    ),
}
#: Indicators of the check that are sums of KOSTRA indicators (same municipality and year).
DERIVED: dict[str, tuple[str, ...]] = {
    "heldogn": ("long_term_residents", "residents_24h_housing"),
}

STAFFING_COLUMNS = [
    "municipality_code",
    "year",
    "hours_per_week_per_user",
    "hours_source",
    "fte_per_user",
    "home_service_users",
    "long_term_residents",
    "residents_24h_housing",
    "nurse_fte",
    "bed_nurse_fte",
    "care_fte",
    "nurse_share",
    "nurse_source",
]


def _latest(kostra: pd.DataFrame, indicator: str, year: int, back: int = 3) -> pd.DataFrame:
    """municipality_code, year, value of ``indicator`` (total) in the latest year <= ``year``
    within ``back`` years, per municipality."""
    k = kostra[
        (kostra["indicator"] == indicator)
        & (kostra["age_group"] == "total")
        & (kostra["year"] <= year)
        & (kostra["year"] > year - back)
        & kostra["value"].notna()
    ]
    k = k.sort_values("year").groupby("municipality_code", as_index=False).last()
    return k[["municipality_code", "year", "value"]]


def _runs(value: Any, n: int) -> np.ndarray:
    """A catalogue or lever value (scalar, or an array over runs) as (n,) floats."""
    return np.broadcast_to(np.asarray(value, dtype=float).reshape(-1), (n,)).astype(float)


#: The KOSTRA indicators :func:`staffing_table` calibrates from (age group 'total').
STAFFING_INDICATORS: tuple[str, ...] = (
    "home_health_hours_per_week",
    "home_service_users",
    "long_term_residents",
    "residents_24h_housing",
    "nurse_fte",
)


def calibration_rows(kostra: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of a KOSTRA panel that :func:`staffing_table` reads for calibration year
    ``year``, every municipality: the :data:`STAFFING_INDICATORS` for age group 'total' in the
    three years up to ``year``, with a value; in the panel's order. Taking them once and passing
    them as ``kostra`` gives the same table (a caller calibrating many sets of municipalities
    need not scan the national panel each time)."""
    return kostra[
        kostra["indicator"].isin(STAFFING_INDICATORS)
        & (kostra["age_group"] == "total")
        & (kostra["year"] <= year)
        & (kostra["year"] > year - 3)
        & kostra["value"].notna()
    ]


def staffing_table(
    kostra: pd.DataFrame,
    catalogue: ServiceCatalogue,
    municipalities: Sequence[str],
    *,
    bed_days: dict[str, dict[str, Any]] | None = None,
    units: Sequence[Unit] = (),
    max_refusal: Any = 0.05,
    runs: int | None = None,
) -> pd.DataFrame:
    """Staffing per municipality from its own KOSTRA figures (columns :data:`STAFFING_COLUMNS`).

    * ``fte_per_user`` (home care) = its allocated hours per week per user (KOSTRA, latest year
      up to ``catalogue.calibration.year``) × 52 / ``staffing.hours_per_fte`` /
      ``direct_time_share``; the catalogue's ``hours_per_week_per_user`` where it has none
      (``hours_source`` 'fallback').
    * ``nurse_share``: the share of its home-care and heldøgn FTE held by nurses so that, with the
      observed users, its nurse FTE equal KOSTRA's: (nurse FTE − nurses of the bed units it hosts
      today) / (home users × fte_per_user + long-term residents and residents of housing with
      24-hour staff × their FTE per user),
      bounded by ``calibration.nurse_share_min/max``. The bed units of today are ``units`` (the
      status quo); their beds are sized by Erlang B at ``max_refusal`` from
      ``bed_days`` ({service: {code: bed-days in the calibration year}}); a
      municipality alone runs its beds in its sykehjem (staffed like a sykehjem place; as many as
      ``alone_occupancy`` gives, at least one: :func:`planning.capacity.beds_alone`). Without a
      KOSTRA nurse figure the catalogue's profession mix is kept ('catalogue').

    ``runs``: catalogue values, ``max_refusal`` and bed-days may be arrays over ``runs`` runs
    (``planning.uncertainty.with_values``); the table then has one row per run and municipality
    (a ``run`` column, 0..runs-1), each run calibrated with its own values, as a separate
    scenario run with those values would be. None: scalars, no ``run`` column.

    Raises InputError when ``kostra`` lacks its columns or the catalogue has no calibration.
    """
    require_columns(
        kostra, ["municipality_code", "year", "indicator", "age_group", "value"], "KOSTRA"
    )
    cal = catalogue.calibration
    if cal is None:
        raise InputError("the catalogue has no calibration section", key="calibration")
    n = 1 if runs is None else int(runs)
    year = int(cal.year.value)
    codes = [str(c) for c in municipalities]
    M = len(codes)
    home = catalogue.coverage.hjemmetjenester
    lt = catalogue.coverage.langtidsopphold
    hours_fte = _runs(catalogue.staffing.hours_per_fte.value, n)[:, None]  # (R, 1)
    share = (
        _runs(home.direct_time_share.value, n)[:, None]
        if home.direct_time_share is not None
        else None
    )
    fallback = home.hours_per_week_per_user
    default_share = (
        _runs(lt.profession_mix[NURSE].value, n)[:, None]
        if NURSE in lt.profession_mix
        else np.zeros((n, 1))
    )

    indicators = STAFFING_INDICATORS
    # the latest figure of each indicator per municipality within three years up to the
    # calibration year (as _latest), all five in one pass
    k = calibration_rows(kostra, year)
    k = k[k["municipality_code"].astype(str).isin(codes)]
    k = k.sort_values("year", kind="stable")
    last = k.groupby([k["indicator"].astype(str), k["municipality_code"].astype(str)])["value"]
    latest = last.last().to_dict()  # {(indicator, code): value}

    def by_code(indicator: str) -> np.ndarray:  # (M,) NaN where not published
        return np.array([latest.get((indicator, c), np.nan) for c in codes], dtype=float)

    hours, users, residents, housing, nurses = (by_code(i) for i in indicators)
    own_hours = np.isfinite(hours) & (share is not None)
    h = np.where(
        own_hours[None, :],
        hours[None, :],
        _runs(fallback.value, n)[:, None] if fallback is not None else np.nan,
    )  # (R, M)
    if share is not None:
        fte_home = h * 52.0 / hours_fte / share
        fte_home = np.where(
            np.isfinite(fte_home), fte_home, _runs(home.fte_per_user.value, n)[:, None]
        )
    else:
        fte_home = np.broadcast_to(_runs(home.fte_per_user.value, n)[:, None], (n, M))
    h24 = getattr(catalogue.coverage, "heldogn_bolig", None)
    h24_fte = _runs(h24.fte_per_user.value, n)[:, None] if h24 is not None else np.zeros((n, 1))
    care = (
        users[None, :] * fte_home
        + residents[None, :] * _runs(lt.fte_per_user.value, n)[:, None]
        + np.nan_to_num(housing)[None, :] * h24_fte
    )  # (R, M)
    beds = _bed_nurses_today(catalogue, codes, bed_days or {}, units, max_refusal, n)  # (R, M)
    ok = np.isfinite(nurses)[None, :] & np.isfinite(care) & (care > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(ok, (nurses[None, :] - beds) / np.where(ok, care, 1.0), np.nan)
    lo, hi = (
        _runs(cal.nurse_share_min.value, n)[:, None],
        _runs(cal.nurse_share_max.value, n)[:, None],
    )
    ns = np.where(ok, np.clip(raw, lo, hi), default_share)
    src = np.where(ok, np.where(ns == raw, "kostra", "kostra_bounded"), "catalogue")
    out = pd.DataFrame(
        {
            "municipality_code": np.tile(codes, n),
            "year": year,
            "hours_per_week_per_user": h.ravel(),
            "hours_source": np.tile(np.where(own_hours, "kostra", "fallback"), n),
            "fte_per_user": np.broadcast_to(fte_home, (n, M)).ravel(),
            "home_service_users": np.tile(users, n),
            "long_term_residents": np.tile(residents, n),
            "residents_24h_housing": np.tile(housing, n),
            "nurse_fte": np.tile(nurses, n),
            "bed_nurse_fte": beds.ravel(),
            "care_fte": care.ravel(),
            "nurse_share": ns.ravel(),
            "nurse_source": src.ravel(),
        }
    )[STAFFING_COLUMNS]
    if runs is None:
        return out
    return out.assign(run=np.repeat(np.arange(n, dtype=np.int64), M))


def _bed_nurses_today(
    catalogue: ServiceCatalogue,
    codes: list[str],
    bed_days: dict[str, dict[str, Any]],
    units: Sequence[Unit],
    max_refusal: Any,
    n: int = 1,
) -> np.ndarray:
    """(n runs, M) nurse FTE of the bed units each municipality hosts today (shared units at
    their host, beds a municipality runs alone in its own sykehjem), each run with its own
    catalogue values and ``max_refusal``."""
    from planning.capacity import beds_alone, beds_for_blocking

    idx = {c: i for i, c in enumerate(codes)}
    out = np.zeros((n, len(codes)))
    lt_fte = _runs(catalogue.coverage.langtidsopphold.fte_per_user.value, n)
    refusal = _runs(max_refusal, n)
    for service in BED_SERVICES:
        spec = getattr(catalogue, service)
        per = bed_days.get(service, {})
        if not per or spec.profession != NURSE:
            continue
        shared = [u for u in units if u.service == service]
        covered = {m for u in shared for m in u.members}
        fte_bed = _runs(spec.fte_per_bed.value, n)
        alone_fte = (
            _runs(spec.alone_staffing_factor.value, n) * lt_fte
            if spec.alone_staffing_factor is not None
            else fte_bed
        )
        providers = [(u.host, u.members, fte_bed, False) for u in shared]
        providers += [(c, [c], alone_fte, True) for c in codes if c not in covered]
        for host, members, per_bed, alone in providers:
            if host not in idx:
                continue
            load = sum(_runs(per.get(m, 0.0), n) for m in members) / 365.0  # (n,)
            if alone and spec.alone_occupancy is not None:
                beds = beds_alone(load, _runs(spec.alone_occupancy.value, n))
            else:
                beds = beds_for_blocking(load, refusal)
            out[:, idx[host]] += np.asarray(beds, dtype=float) * per_bed
    return out


def modelled_first_year(result: Any) -> pd.DataFrame:
    """A scenario result's first year per municipality: municipality_code, indicator, modelled.

    Users from the demand frame; nurse FTE of the care services (:data:`CARE_SERVICES`) at the
    municipality that employs them (a shared unit's host), as KOSTRA counts them."""
    y0 = int(result.scenario.horizon.base_year)
    d = result.demand
    if "run" in d.columns:
        d = d[d["run"] == 0]
    d = d[(d["year"] == y0) & (d["measure"] == "users")]
    names = {
        "hjemmetjenester": "home_service_users",
        "langtidsopphold": "long_term_residents",
        "heldogn_bolig": "residents_24h_housing",
    }
    d = d[d["service"].isin(list(names))]
    users = pd.DataFrame(
        {
            "municipality_code": d["municipality_code"].astype(str).to_numpy(),
            "indicator": d["service"].map(names).to_numpy(),
            "modelled": d["value"].to_numpy(dtype=float),
        }
    )
    st = result.staff
    if "run" in st.columns:
        st = st[st["run"] == 0]
    st = st[
        (st["year"] == y0)
        & (st["measure"] == "fte")
        & (st["profession"] == NURSE)
        & st["service"].isin(list(CARE_SERVICES))
    ]
    host = dict(
        zip(result.units["unit"].astype(str), result.units["host"].astype(str), strict=False)
    )
    nurse = (
        st.assign(municipality_code=st["unit"].astype(str).map(lambda u: host.get(u, u)))
        .groupby("municipality_code", as_index=False)["value"]
        .sum()
        .rename(columns={"value": "modelled"})
        .assign(indicator="nurse_fte")
    )
    out = pd.concat(
        [users, nurse[["municipality_code", "indicator", "modelled"]]], ignore_index=True
    )
    return pd.concat([out, _derived(out, "modelled")], ignore_index=True)


def _derived(frame: pd.DataFrame, value: str, keys: Sequence[str] = ()) -> pd.DataFrame:
    """Rows of the :data:`DERIVED` indicators: the sum of their parts per municipality (and
    ``keys``), only where every part is present."""
    out = []
    for name, parts in DERIVED.items():
        sel = frame[frame["indicator"].isin(parts)]
        g = sel.groupby(["municipality_code", *keys], as_index=False).agg(
            **{value: (value, "sum"), "_n": ("indicator", "nunique")}
        )
        out.append(g[g["_n"] == len(parts)].drop(columns="_n").assign(indicator=name))
    return pd.concat(out, ignore_index=True) if out else frame.iloc[:0]


def first_year_check(result: Any, kostra: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
    """The first modelled year beside KOSTRA's latest observed figures.

    Columns: municipality_code (incl. 'region'), indicator (:data:`CHECKED`), observed,
    observed_year, modelled (first year of ``result``; NaN where the model has no such figure),
    modelled_year, relative_difference (modelled / observed − 1), target (±10 % region, ±25 %
    per municipality), within (bool; None where not modelled). ``year``: KOSTRA year (default the
    latest up to the catalogue's calibration year)."""
    codes = [str(c) for c in result.scenario.municipality_codes()]
    cal = result.scenario.catalogue().calibration
    y = int(year if year is not None else (cal.year.value if cal else kostra["year"].max()))
    rows = []
    for ind in CHECKED:
        if ind in DERIVED:
            continue
        obs = _latest(kostra[kostra["municipality_code"].astype(str).isin(codes)], ind, y)
        for c, oy, v in zip(
            obs["municipality_code"].astype(str), obs["year"], obs["value"], strict=True
        ):
            rows.append((c, ind, float(v), int(oy)))
    observed = pd.DataFrame(
        rows, columns=["municipality_code", "indicator", "observed", "observed_year"]
    )
    observed = pd.concat(
        [observed, _derived(observed, "observed", ["observed_year"])], ignore_index=True
    )
    model = modelled_first_year(result)
    out = observed.merge(model, on=["municipality_code", "indicator"], how="left")
    region = (
        out.groupby("indicator", as_index=False)
        .agg(
            observed=("observed", "sum"),
            observed_year=("observed_year", "max"),
            modelled=("modelled", lambda s: s.sum(min_count=len(s))),
            n=("observed", "size"),
        )
        .query(f"n == {len(codes)}")
        .drop(columns="n")
        .assign(municipality_code="region")
    )
    out = pd.concat([out, region], ignore_index=True)
    out["modelled_year"] = int(result.scenario.horizon.base_year)
    obs_v = out["observed"].to_numpy(dtype=float)
    out["relative_difference"] = np.divide(
        out["modelled"].to_numpy(dtype=float) - obs_v,
        obs_v,
        out=np.full(len(out), np.nan),
        where=obs_v > 0,
    )
    out["target"] = np.where(
        out["municipality_code"] == "region", TARGETS["region"], TARGETS["municipality"]
    )
    rel = out["relative_difference"]
    out["within"] = [
        None if pd.isna(r) else bool(abs(r) <= t) for r, t in zip(rel, out["target"], strict=True)
    ]
    order = {k: i for i, k in enumerate(CHECKED)}
    out = out.assign(
        _i=out["indicator"].map(order), _r=(out["municipality_code"] == "region").astype(int)
    ).sort_values(["_i", "_r", "municipality_code"])
    return out.drop(columns=["_i", "_r"]).reset_index(drop=True)[
        [
            "municipality_code",
            "indicator",
            "observed",
            "observed_year",
            "modelled",
            "modelled_year",
            "relative_difference",
            "target",
            "within",
        ]
    ]
