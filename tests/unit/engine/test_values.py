"""The one check of the values a qualify writes: every problem typed (record, opportunity,
field), nothing written, the same check for the screens and for bulk qualify."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import models

from crm.models import Account, Contact, Opportunity
from qualification.engine import (
    ACCOUNT_NEEDS_NAME,
    REQUIRED,
    UNKNOWN_FIELD,
    Choice,
    FieldProblem,
    QualifyDecisions,
    QualifyValidationError,
    RecordDecision,
    lead_qualify,
)
from qualification.engine.values import values_clean
from qualification.models import CreationMode, RecordType
from tests.factories import LeadFactory
from tests.unit.engine.conftest import assert_nothing_written, configure, problems_of, record_counts

pytestmark = pytest.mark.django_db

CREATE = RecordDecision(choice=Choice.CREATE)


def test_it_writes_nothing_when_the_second_opportunity_is_invalid(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=True)
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                opportunities=[
                    {"topic": "Fine"},
                    {"topic": "", "budget_amount": Decimal("-1"), "need": "someday"},
                ]
            ),
        )

    problems = {(p.position, p.field): p.message for p in raised.value.problems}
    assert set(problems) == {(1, "topic"), (1, "budget_amount"), (1, "need")}
    assert problems[1, "topic"] == REQUIRED
    assert problems[1, "budget_amount"] == "Ensure this value is greater than or equal to 0."
    assert "someday" in problems[1, "need"]
    assert_nothing_written(lead, before)


def test_it_refuses_a_budget_above_one_trillion(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON)

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                opportunities=[{"topic": "Big", "budget_amount": Decimal("1000000000000.01")}]
            ),
        )

    [problem] = raised.value.problems
    assert (problem.position, problem.field) == (0, "budget_amount")
    assert problem.text.startswith("Opportunity 1: Budget Amount: Ensure this value is less")


def test_it_refuses_a_field_the_salesperson_may_not_set(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON)

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(opportunities=[{"topic": "A", "stage": "close"}]),
        )

    assert problems_of(raised.value) == {("opportunity", 0, "stage", UNKNOWN_FIELD)}


def test_it_refuses_a_new_account_without_a_name(user):
    lead = LeadFactory(owner=user, company_name="")
    configure(account_mode=CreationMode.SALESPERSON)

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user, decisions=QualifyDecisions(account=CREATE))

    assert problems_of(raised.value) == {("account", None, "name", ACCOUNT_NEEDS_NAME)}
    # The message says what it is about on its own (bulk qualify's reason for the lead).
    assert raised.value.reason == ACCOUNT_NEEDS_NAME


def test_it_checks_values_as_a_model_form_would_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        cleaned, errors = values_clean(
            model=Opportunity,
            values={
                "topic": "Chairs",
                "budget_amount": "12500.50",
                "estimated_close_date": "2027-01-31",
                "purchase_timeframe": "next_quarter",
            },
        )

    assert errors == {}
    assert cleaned["budget_amount"] == Decimal("12500.50")
    assert str(cleaned["estimated_close_date"]) == "2027-01-31"


def test_it_says_a_required_field_is_missing_even_when_not_given():
    _, errors = values_clean(model=Opportunity, values={"description": "no topic"})

    assert errors == {"topic": [REQUIRED]}


def test_a_problem_names_what_it_is_about():
    assert FieldProblem(RecordType.OPPORTUNITY, REQUIRED, "topic", 1).text == (
        "Opportunity 2: Topic: This field is required."
    )
    assert FieldProblem(RecordType.CONTACT, REQUIRED, "last_name").text == (
        "Contact: Last Name: This field is required."
    )
    assert FieldProblem(RecordType.ACCOUNT, "Gone.", "existing").text == "Account: Gone."


def test_it_reports_every_bad_value_of_the_pane_at_once(lead, user):
    configure(
        account_mode=CreationMode.SALESPERSON,
        contact_mode=CreationMode.SALESPERSON,
        opportunity_mode=CreationMode.SALESPERSON,
    )

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                account=RecordDecision(choice=Choice.CREATE, values={"email": "not-an-email"}),
                contact=RecordDecision(choice=Choice.CREATE, values={"last_name": ""}),
                opportunities=[{"topic": ""}],
            ),
        )

    assert {(p.record, p.field) for p in raised.value.problems} == {
        ("account", "email"),
        ("contact", "last_name"),
        ("opportunity", "topic"),
    }


def _form_clean(model, name, raw):
    """What a ModelForm makes of one value: (cleaned value, messages)."""
    from django.core.exceptions import ValidationError

    model_field = model._meta.get_field(name)
    try:
        value = model_field.formfield().clean(raw)
        if value not in ("", None):
            model_field.run_validators(value)
    except ValidationError as error:
        return None, error.messages
    return value, []


@pytest.mark.parametrize("model", [Account, Contact, Opportunity])
def test_every_text_is_cleaned_as_its_form_field_cleans_it(model):
    """Names, phones and streets take a quicker check than their form field's `clean` (bulk
    qualify checks tens of thousands of unique ones); what comes out must not differ: the
    text stripped, the empty value of an optional field, the form field's own message for a
    text too long, a null character or a required field left blank."""
    from qualification.services import record_editable_fields

    texts = [
        "Ada",
        "  Ada Lovelace  ",
        "",
        "   ",
        "\tline\n",
        "nul\x00inside",
        "é" * 5,
    ]
    compared = 0
    for name in record_editable_fields(model=model):
        field = model._meta.get_field(name)
        if not isinstance(field, models.CharField) or field.choices:
            continue
        limit = field.max_length
        samples = [*texts, *(["x" * limit, "x" * (limit + 1), f" {'x' * limit} "] if limit else [])]
        for raw in samples:
            cleaned, errors = values_clean(model=model, values={name: raw})
            value, messages = _form_clean(model, name, raw)
            if messages:
                assert errors.get(name) == messages, (name, raw)
                assert name not in cleaned
            else:
                assert name not in errors or errors[name] == [REQUIRED], (name, raw)
                assert cleaned[name] == value, (name, raw)
            compared += 1
    assert compared >= 10  # every model has a plain text field (a name, a topic)
