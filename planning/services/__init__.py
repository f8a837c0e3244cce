"""Services declared as data: each entry of ``data/services.yaml`` names its ``kind``, and each
kind is one small module here that turns population into demand and demand into capacity,
staff and cost for every service of that kind (``docs/services.md``: how to add a service).

==================  =========================================================  ===============
kind                what it models                                              services today
==================  =========================================================  ===============
coverage_rate       users = population × KOSTRA coverage rate by age group      hjemmetjenester,
                    (run by each municipality)                                  langtidsopphold,
                                                                                heldogn_bolig
bed_service         beds by Erlang B from admissions and bed-days by age band   kad, intermediaer
rota                a fixed round-the-clock rota (doctor hours, nurses)         legevakt
per_capita_norm     FTE = people / norm, in position steps, with travel         helsestasjon, jordmor,
                                                                                kommuneoverlege
school_health       FTE from pupils by school level (a norm per level)          skolehelsetjeneste
case_office         case workers for the users' cases, with management          brukerkontor
list_norm           a count from population / list size, no staff or cost      fastlege
mitigator           reach, staff and cost; reduces named services' demand       (none shipped)
per_capita_bands    FTE from adults and young at national rates, with an        psykisk_helse_rus
                    ambulant team (``psykisk_helse_team``, shareable)
prevention_unit     a per-capita norm with reach, minimum position, travel      frisklivssentral,
                                                                                innsatsteam,
                                                                                ernaeringsfysiolog
==================  =========================================================  ===============

Each kind module defines ``KIND``, ``Spec`` (the pydantic model of an entry), ``PLAN_ORDER``,
``MEASURE_UNITS``, ``demand(ctx, services)`` and ``plan(ctx, name, spec)``; the contexts are in
:mod:`planning.services.base`. :func:`project` runs the demand of every service in catalogue
order (mitigators act after the primary demand, derived demand such as the user office's cases
comes last); :func:`plan` runs the capacity of every service, kind by kind in ``PLAN_ORDER``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Union

from pydantic import Field

from planning.services import (
    bed_service,
    case_office,
    coverage_rate,
    list_norm,
    mitigator,
    per_capita_bands,
    per_capita_norm,
    prevention_unit,
    rota,
    school_health,
)
from planning.services.base import DemandContext, PlanContext, ServiceSpec

#: every kind, by name
KINDS: dict[str, Any] = {
    m.KIND: m
    for m in (
        coverage_rate,
        bed_service,
        rota,
        per_capita_norm,
        school_health,
        case_office,
        list_norm,
        mitigator,
        per_capita_bands,
        prevention_unit,
    )
}
#: kinds a top-level entry of the catalogue may have (coverage-rate services live under
#: ``coverage:``, next to the settings of the KOSTRA model they depend on)
ENTRY_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k != coverage_rate.KIND)
#: a top-level service entry of the catalogue, validated by the model of its ``kind``
ServiceEntry = Annotated[
    Union[tuple(KINDS[k].Spec for k in ENTRY_KINDS)],  # noqa: UP007
    Field(discriminator="kind"),
]

__all__ = [
    "ENTRY_KINDS",
    "KINDS",
    "DemandContext",
    "PlanContext",
    "ServiceEntry",
    "ServiceSpec",
    "entry_of",
    "plan",
    "planner_of",
    "project",
]


def _runs(items: Iterable[tuple[str, ServiceSpec]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Consecutive services of the same kind, as (kind, {name: spec})."""
    kind, group = None, {}
    for name, spec in items:
        if spec.kind != kind and group:
            yield kind, group  # type: ignore[misc]
            group = {}
        kind = spec.kind
        group[name] = spec
    if group:
        yield kind, group  # type: ignore[misc]


def project(ctx: DemandContext) -> dict[tuple[str, str], Any]:
    """Demand of every service of ``ctx.catalogue`` into ``ctx.out`` (and returned)."""
    services = ctx.catalogue.services()
    derived = {n: s for n, s in services.items() if getattr(KINDS[s.kind], "DERIVED", False)}
    primary = [(n, s) for n, s in services.items() if n not in derived]
    for kind, group in _runs(primary):
        KINDS[kind].demand(ctx, group)
    mitigators = {n: s for n, s in services.items() if s.kind == mitigator.KIND}
    if mitigators:
        mitigator.mitigate(ctx, mitigators)
    for kind, group in _runs(derived.items()):
        KINDS[kind].demand(ctx, group)
    return ctx.out


def planner_of(catalogue: Any, service: str) -> str:
    """The name of the catalogue entry that plans ``service`` of the frames: its own, or the
    entry whose shareable part it is (``psykisk_helse_team`` -> ``psykisk_helse_rus``: the
    team's users are that entry's demand). KeyError naming the services when none does."""
    services = catalogue.services()
    if service in services:
        return service
    for name, spec in services.items():
        if service in spec.shared_services(name):
            return name
    raise KeyError(f"no entry plans {service!r} (services: {catalogue.service_names()})")


def entry_of(catalogue: Any, service: str) -> ServiceSpec:
    """The catalogue entry that plans ``service`` of the frames (:func:`planner_of`)."""
    return catalogue.services()[planner_of(catalogue, service)]


def plan_order(catalogue: Any) -> list[tuple[str, ServiceSpec]]:
    """Services in the order their capacity is planned: kind by kind, then catalogue order."""
    items = list(catalogue.services().items())
    pos = {n: i for i, (n, _) in enumerate(items)}
    return sorted(items, key=lambda x: (KINDS[x[1].kind].PLAN_ORDER, pos[x[0]]))


def plan(ctx: PlanContext) -> None:
    """Capacity, staff and cost of every service of ``ctx.catalogue`` into ``ctx``."""
    for name, spec in plan_order(ctx.catalogue):
        KINDS[spec.kind].plan(ctx, name, spec)
