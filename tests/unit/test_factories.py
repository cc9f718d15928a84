"""Every factory builds a valid record: a broken factory would fail many tests for one cause."""

from __future__ import annotations

import pytest

from qualification.models import QualificationSettings
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    factories.UserFactory,
    factories.AccountFactory,
    factories.ContactFactory,
    factories.OpportunityFactory,
    factories.LeadFactory,
    factories.TimelineEntryFactory,
    factories.FieldMappingFactory,
    factories.QualificationFactory,
    factories.QualificationOpportunityFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_it_builds_a_valid_record(factory):
    record = factory()

    record.full_clean()
    assert record.pk is not None


def test_the_bulk_job_factory_builds_a_queued_job():
    job = factories.BulkQualifyJobFactory(lead_ids=[1, 2, 3])

    # The progress lists start empty: the worker fills them, no form ever edits them.
    job.full_clean(exclude=["failures", "needs_review"])
    assert (job.status, job.total, job.processed) == ("queued", 3, 0)


def test_the_lead_origin_factory_names_one_record():
    origin = factories.LeadOriginFactory(opportunity=factories.OpportunityFactory())

    origin.full_clean()
    assert origin.opportunity.origin.lead == origin.lead


def test_the_settings_factory_updates_the_singleton():
    factories.QualificationSettingsFactory(experience="legacy", legacy_create_automatically=False)

    assert QualificationSettings.objects.count() == 1
    assert QualificationSettings.load().experience == "legacy"
