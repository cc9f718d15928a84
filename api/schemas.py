"""The API's request and answer shapes. Fields are named as the models name them; the
answers are read from the models (ModelSchema), the requests carry plain types that the
services check (the models' own validation and the qualify engine's), so that a value is
judged in one place and the API gives the screens' messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, ModelSchema, Schema
from pydantic import model_validator

from crm.models import Account, Contact, Opportunity
from leads.forms import LARGEST_ID
from leads.models import Lead
from leads.services import LEAD_FORM_FIELDS
from qualification.models import MAX_OPPORTUNITIES

RecordId = Annotated[int, Field(ge=1, le=LARGEST_ID)]
NULL_CHARACTERS = "Null characters are not allowed."
# A value the engine checks with the screens' form fields (text, number, yes/no, date).
Value = str | int | float | bool | None


def _no_null_characters(value: Any) -> None:
    """PostgreSQL refuses NUL in text; the forms refuse it with this message."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(NULL_CHARACTERS)
    if isinstance(value, dict):
        for key, item in value.items():
            _no_null_characters(key)
            _no_null_characters(item)
    if isinstance(value, list):
        for item in value:
            _no_null_characters(item)


class InputSchema(Schema):
    model_config = {"extra": "forbid"}

    @model_validator(mode="before")
    @classmethod
    def _refuse_null_characters(cls, data: Any) -> Any:
        _no_null_characters(data if isinstance(data, dict) else {})
        return data


# Leads -----------------------------------------------------------------------------------


class LeadOut(ModelSchema):
    class Meta:
        model = Lead
        fields = [
            "id",
            *LEAD_FORM_FIELDS,
            "existing_account",
            "existing_contact",
            "purchase_timeframe",
            "budget_amount",
            "purchase_process",
            "decision_maker",
            "qualification_comments",
            "state",
            "status_reason",
            "owner",
            "parent_account",
            "parent_contact",
            "qualifying_opportunity",
            "created_at",
            "updated_at",
            "closed_at",
        ]


class LeadIn(InputSchema):
    """A new lead, or (PATCH) the fields to change; the lead's own validation checks them."""

    topic: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    business_phone: str | None = None
    mobile_phone: str | None = None
    email: str | None = None
    company_name: str | None = None
    website: str | None = None
    street1: str | None = None
    street2: str | None = None
    street3: str | None = None
    city: str | None = None
    state_province: str | None = None
    postal_code: str | None = None
    country: str | None = None
    industry: str | None = None
    description: str | None = None
    lead_source: str | None = None
    rating: str | None = None
    need: str | None = None
    existing_account: RecordId | None = None
    existing_contact: RecordId | None = None
    purchase_timeframe: str | None = None
    # A number, or text as the form takes it ("12,500", "$12,500.00").
    budget_amount: Decimal | str | None = None
    purchase_process: str | None = None
    decision_maker: bool | None = None
    qualification_comments: str | None = None


class Page(Schema):
    """One page of a list: `next` is the cursor of the page after it (null on the last)."""

    next: str | None


class LeadPage(Page):
    results: list[LeadOut]


# Accounts, contacts, opportunities ---------------------------------------------------------


class AccountOut(ModelSchema):
    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "website",
            "phone",
            "email",
            "industry",
            "description",
            "street1",
            "street2",
            "street3",
            "city",
            "state_province",
            "postal_code",
            "country",
            "owner",
            "created_at",
            "updated_at",
        ]


class ContactOut(ModelSchema):
    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "job_title",
            "email",
            "business_phone",
            "mobile_phone",
            "account",
            "description",
            "street1",
            "street2",
            "street3",
            "city",
            "state_province",
            "postal_code",
            "country",
            "owner",
            "created_at",
            "updated_at",
        ]


class OpportunityOut(ModelSchema):
    class Meta:
        model = Opportunity
        fields = [
            "id",
            "topic",
            "customer_account",
            "customer_contact",
            "account",
            "contact",
            "estimated_revenue",
            "budget_amount",
            "purchase_timeframe",
            "purchase_process",
            "decision_maker",
            "need",
            "estimated_close_date",
            "actual_revenue",
            "actual_close_date",
            "description",
            "state",
            "status_reason",
            "stage",
            "owner",
            "created_at",
            "updated_at",
        ]


class AccountPage(Page):
    results: list[AccountOut]


class ContactPage(Page):
    results: list[ContactOut]


class OpportunityPage(Page):
    results: list[OpportunityOut]


# Qualify ---------------------------------------------------------------------------------


class RecordChoice(InputSchema):
    """For the account or the contact: `create` (with `values` over the mapped ones),
    `existing` (with `id`) or `skip`."""

    action: Literal["create", "existing", "skip"]
    id: RecordId | None = None
    values: dict[str, Value] = Field(default_factory=dict)


class QualifyIn(InputSchema):
    """The reference's flags (`create_account`, `create_contact`, `create_opportunity`), or
    per-record decisions (`account`, `contact`, `opportunities`); not both. Without either,
    the admin's settings decide, as the screens' automatic qualify does.

    `duplicates`: `ask` answers 409 with the matches; `link` links a single clear match (several
    answer 409); `create` creates new records anyway."""

    create_account: bool | None = None
    create_contact: bool | None = None
    create_opportunity: bool | None = None
    account: RecordChoice | None = None
    contact: RecordChoice | None = None
    opportunities: list[dict[str, Value]] | None = Field(None, max_length=MAX_OPPORTUNITIES)
    duplicates: Literal["ask", "link", "create"] = "ask"


class RecordRef(Schema):
    id: int
    name: str
    created: bool


class QualifyOut(Schema):
    lead: LeadOut
    qualification_id: int
    account: RecordRef | None
    contact: RecordRef | None
    opportunity_ids: list[int]


class BulkQualifyIn(InputSchema):
    lead_ids: list[RecordId] = Field(min_length=1, max_length=10_000)
    create_account: bool = True
    create_contact: bool = True
    create_opportunity: bool = True


class LeadResult(Schema):
    lead_id: int
    status: Literal["qualified", "failed", "needs_review"]
    reason: str


class BulkQualifyOut(Schema):
    qualified: int
    failed: int
    needs_review: int
    accounts_created: int
    accounts_linked: int
    contacts_created: int
    contacts_linked: int
    opportunities_created: int
    results: list[LeadResult]


class BulkJobOut(Schema):
    id: int
    status: str
    url: str
    total: int
    processed: int
    result: BulkQualifyOut | None


class DisqualifyIn(InputSchema):
    status_reason: str


# Problems --------------------------------------------------------------------------------


class Problem(Schema):
    """RFC 9457 problem details; `errors` lists bad fields, `matches` possible duplicates."""

    model_config = {"extra": "allow"}

    type: str
    title: str
    status: int
    detail: str
