"""factory-boy factories for every model. States are traits: LeadFactory(qualified=True)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.db import models
from factory.django import DjangoModelFactory

from crm import matching
from crm.matching import (
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    website_domain,
)
from crm.models import Account, Contact, Opportunity, TimelineEntry, TimelineEntryKind
from leads.duplicates.keys import lead_match_keys
from leads.models import Lead, LeadOrigin, LeadSource, LeadState, LeadStatus, Rating
from qualification.models import (
    SETTINGS_PK,
    BulkQualifyJob,
    Experience,
    FieldMapping,
    Qualification,
    QualificationOpportunity,
    QualificationSettings,
    RecordType,
)

DEFAULT_PASSWORD = "correct-horse-battery-staple"


def backdate[T: models.Model](record: T, **moments: datetime | None) -> T:
    """Give a saved record its history: times that `auto_now_add` or a service would have set
    to "now" (created_at, a lead's closed_at, ...), written without touching anything else."""
    type(record).objects.filter(pk=record.pk).update(**moments)
    for name, value in moments.items():
        setattr(record, name, value)
    return record


def _unique_phone(area: str) -> factory.Sequence:
    """A phone number of its own for every record a factory makes (random ones collided in a
    few thousand leads, and the same-phone duplicate rule then sent them to review); each
    factory has its own area code, so a lead never shares a number with an account or contact
    unless a test says so."""
    return factory.Sequence(lambda n: f"+1 {area} {n // 10000 % 1000:03d} {n % 10000:04d}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(DEFAULT_PASSWORD)

    class Params:
        salesperson = factory.Trait(
            groups=factory.PostGeneration(
                lambda user, create, extracted, **kw: user.groups.add(
                    Group.objects.get(name="Salespeople")
                )
            )
        )
        manager = factory.Trait(
            groups=factory.PostGeneration(
                lambda user, create, extracted, **kw: user.groups.add(
                    Group.objects.get(name="Sales managers")
                )
            )
        )
        admin = factory.Trait(is_staff=True, is_superuser=True)


class AccountFactory(DjangoModelFactory[Account]):
    class Meta:
        model = Account

    name = factory.Faker("company")
    normalized_name = factory.LazyAttribute(lambda a: normalize_company_name(a.name))
    website = factory.LazyAttribute(
        lambda a: f"https://www.{normalize_company_name(a.name).replace(' ', '')[:30]}.example"
    )
    website_domain = factory.LazyAttribute(lambda a: website_domain(a.website))
    phone = _unique_phone("556")
    phone_normalized = factory.LazyAttribute(lambda a: matching.normalize_phone(a.phone))
    name_initials = factory.LazyAttribute(lambda a: matching.name_initials(a.normalized_name))
    city = factory.Faker("city")
    country = "United States"
    owner = factory.SubFactory(UserFactory)


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttributeSequence(
        lambda c, n: f"{c.first_name}.{c.last_name}{n}@example.com".lower()
    )
    email_normalized = factory.LazyAttribute(lambda c: normalize_email(c.email))
    full_name_normalized = factory.LazyAttribute(
        lambda c: normalize_full_name(c.first_name, c.last_name)
    )
    job_title = factory.Faker("job")
    business_phone = _unique_phone("557")
    name_key = factory.LazyAttribute(lambda c: matching.person_name_key(c.first_name, c.last_name))
    email_domain = factory.LazyAttribute(lambda c: matching.email_domain(c.email))
    mobile_phone = ""
    business_phone_normalized = factory.LazyAttribute(
        lambda c: matching.normalize_phone(c.business_phone)
    )
    mobile_phone_normalized = factory.LazyAttribute(
        lambda c: matching.normalize_phone(c.mobile_phone)
    )
    account = None
    owner = factory.SubFactory(UserFactory)


class OpportunityFactory(DjangoModelFactory[Opportunity]):
    class Meta:
        model = Opportunity

    topic = factory.Faker("catch_phrase")
    customer_account = factory.SubFactory(AccountFactory)
    account = factory.SelfAttribute("customer_account")
    owner = factory.SubFactory(UserFactory)
    estimated_revenue = factory.Faker("pydecimal", left_digits=6, right_digits=2, positive=True)


class LeadFactory(DjangoModelFactory[Lead]):
    class Meta:
        model = Lead

    topic = factory.Faker("catch_phrase")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = factory.Faker("job")
    company_name = factory.Faker("company")
    # Each lead at a domain of its own: duplicate detection compares similar names within one
    # email domain, and two random names at a shared one can be similar enough to stop a
    # qualify (a test that wants a shared domain gives the emails).
    email = factory.LazyAttributeSequence(
        lambda lead, n: f"{lead.first_name}.{lead.last_name}{n}@lead{n}.example.org".lower()
    )
    business_phone = _unique_phone("555")
    city = factory.Faker("city")
    country = "United States"
    lead_source = LeadSource.WEB
    rating = Rating.WARM
    owner = factory.SubFactory(UserFactory)

    class Params:
        contacted = factory.Trait(status_reason=LeadStatus.CONTACTED)
        qualified = factory.Trait(state=LeadState.QUALIFIED, status_reason=LeadStatus.QUALIFIED)
        disqualified = factory.Trait(state=LeadState.DISQUALIFIED, status_reason=LeadStatus.LOST)

    @classmethod
    def _create(cls, model_class: type[Lead], *args: Any, **kwargs: Any) -> Lead:
        # The match keys, as every lead write fills them (leads.duplicates.keys).
        lead = lead_match_keys(model_class(*args, **kwargs))
        lead.save()
        return lead


class TimelineEntryFactory(DjangoModelFactory[TimelineEntry]):
    """A note on a record: TimelineEntryFactory(record=lead)."""

    class Meta:
        model = TimelineEntry
        exclude = ("record",)

    record = factory.SubFactory(LeadFactory)
    content_type = factory.LazyAttribute(lambda e: ContentType.objects.get_for_model(e.record))
    object_id = factory.LazyAttribute(lambda e: e.record.pk)
    kind = TimelineEntryKind.NOTE
    title = factory.Faker("sentence", nb_words=4)
    body = factory.Faker("paragraph")
    author = factory.SubFactory(UserFactory)


class LeadOriginFactory(DjangoModelFactory[LeadOrigin]):
    """Originating Lead of one record: LeadOriginFactory(opportunity=opp) (or account=...)."""

    class Meta:
        model = LeadOrigin

    lead = factory.SubFactory(LeadFactory, qualified=True)


class QualificationSettingsFactory(DjangoModelFactory[QualificationSettings]):
    """The settings singleton, updated in place: QualificationSettingsFactory(experience=...)."""

    class Meta:
        model = QualificationSettings
        django_get_or_create = ("pk",)

    pk = SETTINGS_PK

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        fields = {name: value for name, value in kwargs.items() if name != "pk"}
        settings = model_class.load()
        for name, value in fields.items():
            setattr(settings, name, value)
        settings.full_clean()
        settings.save()
        return settings


class FieldMappingFactory(DjangoModelFactory[FieldMapping]):
    """An admin-added mapping (the defaults come from a data migration)."""

    class Meta:
        model = FieldMapping

    target = RecordType.ACCOUNT
    source_field = "email"
    target_field = "email"


class QualificationFactory(DjangoModelFactory[Qualification]):
    """An audit record as the engine writes it; the engine is what tests should normally use."""

    class Meta:
        model = Qualification

    lead = factory.SubFactory(LeadFactory, qualified=True)
    lead_label = factory.LazyAttribute(lambda q: str(q.lead))
    qualified_by = factory.SelfAttribute("lead.owner")
    experience = Experience.NEW
    account = factory.SubFactory(AccountFactory)
    account_created = True
    contact = None


class QualificationOpportunityFactory(DjangoModelFactory[QualificationOpportunity]):
    class Meta:
        model = QualificationOpportunity

    qualification = factory.SubFactory(QualificationFactory)
    opportunity = factory.SubFactory(
        OpportunityFactory, customer_account=factory.SelfAttribute("..qualification.account")
    )
    position = 0


class BulkQualifyJobFactory(DjangoModelFactory[BulkQualifyJob]):
    class Meta:
        model = BulkQualifyJob

    created_by = factory.SubFactory(UserFactory)
    lead_ids = factory.List([])
    total = factory.LazyAttribute(lambda job: len(job.lead_ids))
