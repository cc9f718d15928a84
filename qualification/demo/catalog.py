"""What the demo is made of: its users, company names, topics, notes and the sizes of it all."""

from __future__ import annotations

from dataclasses import dataclass

SEED = 2026
LEAD_COUNT = 320
QUALIFIED_COUNT = 14
ACCOUNT_COUNT = 28  # hand-made accounts; the qualified leads add one each
ALREADY_LOADED = "Demo data is already loaded; nothing changed."
LOGIN_HINT = "Sign in at {url}/login/ with one of these demo logins:"
# Where `manage.py runserver` serves by default; `make run` passes its own HOST and PORT.
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    first_name: str
    last_name: str
    role: str
    group: str = ""
    is_admin: bool = False


DEMO_USERS = (
    DemoUser("admin", "demo-admin-2026", "Avery", "Admin", "Admin (staff, superuser)", "", True),
    DemoUser("dana", "demo-dana-2026", "Dana", "Whitfield", "Salesperson", "Salespeople"),
    DemoUser("lee", "demo-lee-2026", "Lee", "Okafor", "Salesperson", "Salespeople"),
    DemoUser("maria", "demo-maria-2026", "Maria", "Santos", "Sales manager", "Sales managers"),
)
SALES_USERNAMES = ("dana", "lee", "maria")
OWNER_WEIGHTS = (45, 40, 15)  # dana, lee, maria

# Well-known fictitious companies for the hand-made accounts.
ACCOUNT_NAMES = (
    "Contoso Ltd",
    "Fabrikam GmbH",
    "Northwind Traders",
    "Adventure Works Cycles",
    "Litware, Inc.",
    "Tailspin Toys",
    "Wide World Importers",
    "Woodgrove Bank",
    "Proseware, Inc.",
    "Alpine Ski House",
    "Blue Yonder Airlines",
    "Coho Winery",
    "Fourth Coffee",
    "Graphic Design Institute",
    "Humongous Insurance",
    "Lucerne Publishing",
    "Margie's Travel",
    "Southridge Video",
    "Trey Research",
    "VanArsdel, Ltd.",
    "Wingtip Toys",
    "Relecloud",
    "Consolidated Messenger",
    "A. Datum Corporation",
    "First Up Consultants",
    "Lamna Healthcare Company",
    "Best For You Organics Company",
    "City Power & Light",
)
# Leads whose company is written differently from an existing account, or from another lead:
# duplicate detection must see through case, punctuation and legal suffixes.
NEAR_DUPLICATE_COMPANIES = (
    "Contoso, Inc.",
    "CONTOSO",
    "contoso ltd.",
    "Fabrikam Inc",
    "FABRIKAM",
    "Northwind Traders LLC",
    "The Northwind Traders",
    "Litware Inc",
    "Blue Harbor Logistics Inc",
    "Blue Harbor Logistics, LLC",
    "Greenfield Dairy Co.",
    "GREENFIELD DAIRY",
)
INDUSTRIES = (
    "Accounting",
    "Agriculture",
    "Broadcasting",
    "Construction",
    "Consulting",
    "Education",
    "Financial Services",
    "Food and Beverage",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Legal Services",
    "Logistics",
    "Manufacturing",
    "Retail",
    "Software",
    "Telecommunications",
    "Utilities",
)
TOPICS = (
    "{n} ergonomic office chairs",
    "Fleet telematics for {n} vehicles",
    "Cloud backup for {n} branch offices",
    "CRM licences for {n} users",
    "Warehouse barcode scanners ({n} units)",
    "Managed print service for {n} sites",
    "Laptop refresh: {n} devices",
    "Security awareness training for {n} staff",
    "Point-of-sale terminals for {n} stores",
    "Conference room AV upgrade ({n} rooms)",
    "Forklift leasing ({n} units)",
    "Coffee machines for {n} offices",
    "Annual maintenance contract renewal",
    "Solar panel installation at headquarters",
    "Penetration test and security audit",
    "Website redesign and hosting",
    "HVAC service agreement",
    "Payroll outsourcing",
    "Data warehouse migration",
    "Spare parts catalogue integration",
)
DESCRIPTIONS = (
    "Met at the {event}. Wants pricing before the end of the quarter.",
    "Came in through the website contact form; asked for a demo next week.",
    "Referred by an existing customer. Current supplier contract ends in {month}.",
    "Downloaded the product brochure twice. Budget approval pending with finance.",
    "Asked for references from companies of a similar size.",
    "Evaluating two other vendors; price is the main criterion.",
    "Expanding to new premises in {month} and needs everything installed by then.",
)
EVENTS = ("spring trade show", "regional partner day", "industry seminar", "user conference")
NOTE_TEXTS = (
    (
        "Call summary",
        "Spoke for 20 minutes. Interested, wants a written quote.\nCall back Tuesday.",
    ),
    ("Pricing request", "Asked for volume pricing and payment terms of 60 days."),
    ("Follow-up", "Sent the brochure and the case study. No reply yet."),
    ("Meeting booked", "On-site visit booked with the operations manager."),
    ("", "Prefers email over phone calls."),
    ("Competitor", "Currently using a competitor; unhappy with their support response times."),
)
AREA_CODES = ("206", "212", "312", "415", "503", "617", "702", "713", "305", "404")
