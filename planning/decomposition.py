"""Why it changes: a waterfall of FTE and yearly cost from the first year to the horizon.

The drivers are switched on one at a time, in this order (:data:`DRIVERS`), each step being the
change it adds on top of the ones before it:

1. population: ageing and growth (the horizon's population at the first year's use rates, today's
   organisation, no lever, constant pay);
2. coverage trend: the damped trend in each municipality's coverage rates
   (``coverage.estimation.damping``; off = 0, no trend; planning.coverage);
3. healthy ageing: use rates shift to higher ages as life expectancy rises;
4. standard growth: FTE per user changes each year;
5. shifts between forms of care: long-term residents moved to home services;
6. organisation: the scenario's shared units instead of the reference's (today's);
7. prices: real pay growth.

The start is the reference scenario's organisation in the first year with every driver off; the
end is the scenario at the horizon as :func:`planning.scenarios.run` gives it. The steps add up
to the total change exactly (each state is evaluated, the steps are differences of consecutive
states). The order matters where drivers interact (e.g. healthy ageing applied to a larger
population); it is stated in every output.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from planning import scenarios, sensitivity
from planning.parameters import Levers

METRICS = ("fte", "cost_nok")
#: (driver, label nb, label en); the order is the order of the waterfall.
DRIVERS: tuple[tuple[str, str, str], ...] = (
    ("population", "Befolkning: aldring og vekst", "Population: ageing and growth"),
    ("coverage_trend", "Trend i dekningsgrad", "Coverage trend"),
    ("healthy_ageing", "Friskere aldring", "Healthy ageing"),
    ("standard_growth", "Standardvekst (årsverk per bruker)", "Standard growth (FTE per user)"),
    ("care_shift", "Vridning mellom omsorgsformer", "Shifts between forms of care"),
    ("organisation", "Organisering (samarbeid)", "Organisation (sharing)"),
    ("prices", "Priser (reallønnsvekst)", "Prices (real pay growth)"),
)
WATERFALL_COLUMNS = [
    "metric",
    "step",
    "driver",
    "label_nb",
    "label_en",
    "before",
    "after",
    "change",
    "year_from",
    "year_to",
]


def _lever_switches(levers: Levers) -> dict[str, dict[str, float]]:
    """Per lever driver: {lever path: value when the driver is off}."""
    names = list(type(levers).model_fields)
    healthy = (
        {"levers.age_shift_per_year": 0.0}
        if levers.age_shift_per_year is not None
        else {"levers.healthy_ageing": 0.0}
    )
    return {
        "coverage_trend": {f"levers.{n}": 0.0 for n in names if n.startswith("coverage")},
        "healthy_ageing": healthy,
        "standard_growth": {"levers.fte_per_user_growth": 0.0},
        "care_shift": {"levers.institution_to_home_shift": 0.0},
    }


def _with_organisation(scn: scenarios.Scenario, ref: scenarios.Scenario) -> scenarios.Scenario:
    units = [u.model_dump(mode="json", exclude_none=True) for u in ref.organisation.units]
    return scenarios.apply_overrides(scn, {"organisation.units": units})


def waterfall(
    scenario: scenarios.Scenario | str, reference: scenarios.Scenario | str | None = None
) -> pd.DataFrame:
    """Waterfall of the region's FTE and yearly cost, first year → horizon.

    Returns rows per metric: step 0 'start' (before = after = the first-year value), steps 1..7
    (:data:`DRIVERS`; before, after, change) and a final 'total' row (before = start, after =
    end, change = end - start); year_from, year_to. Changes of steps 1..7 add up to the total.
    """
    scn = scenarios.load_scenario(scenario)
    ref = scenarios.load_like(
        sensitivity.default_reference() if reference is None else reference, scn
    )
    cat = scn.catalogue()
    levers = scn.levers.with_defaults(cat)
    switches = _lever_switches(levers)
    lever_order = ["coverage_trend", "healthy_ageing", "standard_growth", "care_shift"]
    # runs 0..4 on the reference organisation: run k has the first k drivers on; the coverage
    # trend (an estimation setting, not a per-run value) is off in run 0 only, by a second pass
    n = len(lever_order) + 1
    values: dict[str, np.ndarray] = {}
    for k, driver in enumerate(lever_order, start=1):
        for path, off in switches[driver].items():
            on = float(getattr(levers, path.split(".", 1)[1]))
            values[path] = np.where(np.arange(n) >= k, on, off)
    values["prices.real_pay_growth"] = np.zeros(n)
    on_ref_scn = _with_organisation(scn, ref)
    on_ref = sensitivity.evaluate_values(on_ref_scn, values, n)
    trend = getattr(cat.coverage.estimation, "damping", None)
    if trend is not None and trend.value != 0:
        no_trend = scenarios.apply_overrides(
            on_ref_scn, {"services.coverage.estimation.damping": 0.0}
        )
        first_pass = sensitivity.evaluate_values(no_trend, {p: v[:1] for p, v in values.items()}, 1)
    else:
        first_pass = on_ref
    own = sensitivity.evaluate_values(
        scn,
        {
            "prices.real_pay_growth": np.array([0.0, scn.prices.real_pay_growth.value]),
        },
        2,
    )
    y0, y1 = scn.horizon.base_year, scn.horizon.end_year

    def region(res: scenarios.ScenarioResult, year: int) -> pd.DataFrame:
        m = res.metrics()
        m = m[(m["municipality_code"] == "region") & (m["year"] == year)]
        return m.pivot(index="run", columns="metric", values="value")

    first, hor, end = region(first_pass, y0), region(on_ref, y1), region(own, y1)
    no_trend_hor = region(first_pass, y1)
    rows: list[tuple[Any, ...]] = []
    for metric in METRICS:
        states = [first.loc[0, metric], no_trend_hor.loc[0, metric]]
        states += [hor.loc[k, metric] for k in range(1, n)]
        states += [end.loc[0, metric], end.loc[1, metric]]
        start = states[0]
        rows.append((metric, 0, "start", "Første år", "First year", start, start, 0.0, y0, y0))
        for i, (driver, nb, en) in enumerate(DRIVERS, start=1):
            before, after = states[i - 1], states[i]
            rows.append((metric, i, driver, nb, en, before, after, after - before, y0, y1))
        rows.append(
            (
                metric,
                len(DRIVERS) + 1,
                "total",
                "Endring i alt",
                "Total change",
                start,
                states[-1],
                states[-1] - start,
                y0,
                y1,
            )
        )
    out = pd.DataFrame(rows, columns=WATERFALL_COLUMNS)
    out.attrs.update(scenario=scn.name, reference=ref.name)
    return out


def format_waterfall(table: pd.DataFrame, lang: str = "en") -> str:
    """The waterfall as plain text (one block per metric)."""
    label = "label_nb" if lang == "nb" else "label_en"
    lines = [
        f"Waterfall for {table.attrs.get('scenario')} (start: organisation of "
        f"{table.attrs.get('reference')} in the first year, every driver off; drivers switched on "
        "one at a time in this order)"
    ]
    for metric, t in table.groupby("metric", sort=False):
        lines.append(f"\n{metric}")
        for r in t.itertuples(index=False):
            if r.driver == "start":
                lines.append(f"  {getattr(r, label):<40} {r.after:>18,.1f}  ({r.year_from})")
            elif r.driver == "total":
                lines.append(
                    f"  {getattr(r, label):<40} {r.change:>+18,.1f}  -> {r.after:,.1f} ({r.year_to})"
                )
            else:
                lines.append(f"  {r.step}. {getattr(r, label):<37} {r.change:>+18,.1f}")
    return "\n".join(lines)


def order_markdown(table: pd.DataFrame, lang: str = "nb") -> str:
    """Text under the waterfall: where it starts and the order of the drivers."""
    order = ", ".join(nb if lang == "nb" else en for _, nb, en in DRIVERS)
    ref = table.attrs.get("reference")
    named = {  # the reference as a reader says it, not its file name
        "today": ("slik tjenestene er organisert i dag", "as the services are organised today"),
        "alone": ("hver kommune for seg", "each municipality on its own"),
    }
    nb_ref, en_ref = named.get(str(ref), (f"«{ref}»", f"'{ref}'"))
    if lang == "nb":
        return (
            f"Fra første år med organiseringen {nb_ref} og alle drivere slått av, til dette "
            f"scenariet i sluttåret. Driverne slås på én om gangen i denne rekkefølgen: {order}. "
            "Hvert trinn er det driveren legger til på toppen av de foregående; trinnene summerer "
            "seg til endringen i alt. Der driverne virker sammen (for eksempel friskere aldring i "
            "en større befolkning), avhenger størrelsen på trinnene av rekkefølgen."
        )
    return (
        f"From the first year with the organisation {en_ref} and every driver off, to this "
        f"scenario at the horizon. The drivers are switched on one at a time in this order: "
        f"{order}. Each step is what the driver adds on top of those before it; the steps add up "
        "to the total change. Where drivers interact (e.g. healthy ageing in a larger "
        "population), the size of a step depends on the order."
    )
