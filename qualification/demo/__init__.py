"""The demo data of `manage.py load_demo_data`: users, leads and customer records, loaded once.

Deterministic (Faker and random seeded) and idempotent: when the demo leads are already there,
a second run changes nothing and says so. Qualified leads go through the real qualify engine.
"""

from __future__ import annotations

from crm.models import Account, Contact, Opportunity, TimelineEntry
from leads.models import Lead, LeadState
from qualification.demo.catalog import DEMO_USERS, SALES_USERNAMES, SEED
from qualification.demo.leads import lead_events_add, leads_create
from qualification.demo.qualified import leads_qualify
from qualification.demo.records import accounts_create, contacts_create, opportunities_create
from qualification.demo.values import DemoValues

ALREADY_LOADED = "Demo data is already loaded; nothing changed."
LOGIN_HINT = "Sign in at {url}/login/ with one of these demo logins:"
# Where `manage.py runserver` serves by default; `make run` passes its own HOST and PORT.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"

__all__ = ["ALREADY_LOADED", "DEFAULT_SITE_URL", "DEMO_USERS", "demo_data_loaded", "demo_load"]


def demo_data_loaded() -> bool:
    """The demo leads exist (users alone may have been made by hand)."""
    return Lead.objects.filter(owner__username__in=SALES_USERNAMES).exists()


def demo_load(*, seed: int = SEED) -> tuple[dict[str, int], list[str]]:
    """Build every demo record; the counts by kind, and any lead that could not be qualified."""
    demo = DemoValues(seed=seed)
    demo.users_create()
    accounts = accounts_create(demo)
    contacts = contacts_create(demo, accounts)
    opportunities_create(demo, accounts, contacts)
    leads = leads_create(demo)
    lead_events_add(demo, leads)
    qualified = leads_qualify(demo, leads)
    counts = {
        "users": len(demo.users),
        "leads": Lead.objects.count(),
        "  open": Lead.objects.filter(state=LeadState.OPEN).count(),
        "  qualified (engine)": qualified,
        "  disqualified": Lead.objects.filter(state=LeadState.DISQUALIFIED).count(),
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "timeline entries": TimelineEntry.objects.count(),
    }
    return counts, demo.skipped


def logins_table(*, site_url: str = DEFAULT_SITE_URL) -> str:
    lines = [
        LOGIN_HINT.format(url=site_url.rstrip("/")),
        f"  {'username':<10} {'password':<18} role",
    ]
    lines += [f"  {user.username:<10} {user.password:<18} {user.role}" for user in DEMO_USERS]
    lines.append(
        "(A password is set when its demo user is created; a user made before keeps theirs.)"
    )
    return "\n".join(lines)
