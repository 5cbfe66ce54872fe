"""Every view, by name."""

from __future__ import annotations

from projections.activity import ActivityProjection
from projections.agreements import AgreementsProjection
from projections.countries import CountriesProjection
from projections.deals import DealsProjection
from projections.projection import FactProjection
from projections.relationships import RelationshipsProjection
from projections.search import SearchProjection
from projections.timeline import TimelineProjection

VIEWS: dict[str, type[FactProjection]] = {
    view.name: view
    for view in (
        RelationshipsProjection,
        AgreementsProjection,
        DealsProjection,
        TimelineProjection,
        CountriesProjection,
        ActivityProjection,
        SearchProjection,
    )
}
