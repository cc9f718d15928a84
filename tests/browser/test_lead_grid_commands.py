"""The lead grid as Dynamics 365's grid works: it fits a laptop screen with the sort column in
view and is a list of cards on a phone; the command bar follows the selection and the view;
sort, view change and paging show that they are loading, the last one asked for wins, and
nothing goes to the console; Export to CSV and Edit columns."""

from __future__ import annotations

import contextlib
import csv
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from leads.models import LeadGridColumns
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
LAPTOP = {"width": 1280, "height": 800}
WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_TOPIC = "Fifty espresso machines and a service contract for the whole Paris office " * 3
LONG_COMPANY = "Contoso Pharmaceuticals International Holdings of Northern Europe"


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """What the page writes to the console as errors, and its uncaught exceptions."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def long_leads(owner, other) -> None:
    for index in range(6):
        LeadFactory(
            owner=owner if index % 2 else other,
            topic=LONG_TOPIC,
            company_name=LONG_COMPANY,
            email=f"someone.with.a.rather.long.address{index}@contoso-pharmaceuticals.example",
            business_phone="+1 555 404 9000 ext. 12345",
        )
    LeadFactory(owner=owner, topic=LONG_TOPIC, company_name=LONG_COMPANY, disqualified=True)
    LeadFactory(owner=other, topic=LONG_TOPIC, company_name=LONG_COMPANY, qualified=True)


def sorted_header(page: Page, name: str):
    return page.locator("#lead-grid").get_by_role("columnheader", name=name, exact=True)


def assert_fits(page: Page, header: str) -> None:
    """No sideways scrolling, and the header `header` entirely on screen."""
    grid = page.locator("#lead-grid")
    sizes = grid.locator(".table-wrap").evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert sizes[0] <= sizes[1], f"the table is {sizes[0]} px wide in {sizes[1]} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    box = grid.get_by_role("columnheader", name=header, exact=True).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


@pytest.mark.parametrize(
    ("viewport", "view"),
    [(LAPTOP, "my_open"), (LAPTOP, "all"), (WIDE, "closed"), (WIDE, "all")],
    ids=["1280-my-open", "1280-all", "1440-closed", "1440-all"],
)
def test_the_grid_fits_with_the_sort_column_on_screen(
    page: Page, live_server, login, salesperson, other_salesperson, viewport, view
):
    long_leads(salesperson, other_salesperson)
    page.set_viewport_size(viewport)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/?view={view}")

    assert_fits(page, "Created On")
    page.get_by_role("columnheader", name="Business Phone").get_by_role("link").click()
    expect(sorted_header(page, "Business Phone")).to_have_attribute("aria-sort", "ascending")
    assert_fits(page, "Business Phone")


def test_the_sort_column_shows_even_when_the_user_hid_it(
    page: Page, live_server, login, salesperson
):
    LeadFactory(owner=salesperson)
    LeadGridColumns.objects.create(user=salesperson, columns=["name", "email"])
    page.set_viewport_size(LAPTOP)
    login(salesperson)

    headers = page.locator("#lead-grid thead th")
    expect(headers).to_have_text(["", "Name", "Email", "Created On ▼"])


def test_on_a_phone_each_lead_is_a_card(
    page: Page, live_server, login, salesperson, other_salesperson
):
    long_leads(salesperson, other_salesperson)
    page.set_viewport_size(PHONE)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/?view=all")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    grid = page.get_by_role("region", name="All Leads")
    cards = grid.locator("tbody tr")
    expect(cards).to_have_count(8)
    card = cards.first
    for cell in ("col-name", "col-company_name", "col-status_reason", "col-owner"):
        expect(card.locator(f"td.{cell}")).to_be_visible()
    for cell in ("col-topic", "col-email", "col-business_phone"):
        expect(card.locator(f"td.{cell}")).to_be_hidden()
    expect(card.locator("td.col-created_at")).to_be_visible()  # the sort column
    box = card.bounding_box()
    assert (
        box and box["width"] > PHONE["width"] * 0.85 and box["x"] + box["width"] <= PHONE["width"]
    )
    # A card stacks name, company and owner: taller than a table row.
    assert box["height"] > 60
    # The header row is a row of sort buttons; sorting keeps the cards.
    grid.get_by_role("link", name="Name", exact=True).click()
    expect(sorted_header(page, "Name")).to_have_attribute("aria-sort", "ascending")
    expect(grid.locator("tbody tr").first.locator("td.col-topic")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def command(page: Page, name: str):
    return page.get_by_role("toolbar", name="Command bar").get_by_role(
        "button", name=name, exact=True
    )


def expect_off(page: Page, name: str, why: str) -> None:
    button = command(page, name)
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(button).to_have_attribute("title", why)
    expect(button).to_have_accessible_description(why)


def expect_on(page: Page, name: str) -> None:
    button = command(page, name)
    expect(button).not_to_have_attribute("aria-disabled", "true")
    expect(button).not_to_have_attribute("title", re.compile("."))


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_command_bar_follows_the_selection_and_the_view(
    page: Page, live_server, login, salesperson, other_salesperson, console_errors, viewport
):
    page.set_viewport_size(viewport)
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Open")
    LeadFactory(owner=salesperson, first_name="Cat", last_name="Closed", disqualified=True)
    LeadFactory(owner=other_salesperson, first_name="Tom", last_name="Theirs")
    login(salesperson)
    bar = page.get_by_role("toolbar", name="Command bar")

    # Nothing selected: every command says what to select; a click opens nothing.
    expect_off(page, "Qualify", "Select open leads to qualify")
    expect_off(page, "Disqualify", "Select open leads to disqualify")
    expect_off(page, "Reactivate", "Select closed leads to reactivate")
    expect_off(page, "Delete", "Select leads to delete")
    command(page, "Qualify").click(force=True)  # aria-disabled: Playwright would wait
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(0)

    page.get_by_role("checkbox", name="Select Ann Open").check()
    expect(bar).to_contain_text("1 selected")
    expect_on(page, "Qualify")
    expect_on(page, "Disqualify")
    expect_on(page, "Delete")
    expect_off(page, "Reactivate", "Select closed leads to reactivate")

    page.get_by_label("View", exact=True).select_option("Closed Leads")
    expect(page.get_by_role("heading", name="Closed Leads")).to_be_visible()
    expect(bar).not_to_contain_text("selected")
    page.get_by_role("checkbox", name="Select Cat Closed").check()
    expect_on(page, "Reactivate")
    expect_off(page, "Qualify", "Select open leads to qualify")
    expect_off(page, "Disqualify", "Select open leads to disqualify")

    # Someone else's lead: the commands say why they do not apply.
    page.get_by_label("View", exact=True).select_option("Open Leads")
    page.get_by_role("checkbox", name="Select Tom Theirs").check()
    expect_off(page, "Qualify", "You can qualify only your own leads")
    expect_off(page, "Delete", "You can delete only your own leads")

    # An enabled command still runs.
    page.get_by_role("checkbox", name="Select Tom Theirs").uncheck()
    page.get_by_role("checkbox", name="Select Ann Open").check()
    command(page, "Disqualify").click()
    expect(page.get_by_role("dialog", name="Disqualify 1 lead")).to_be_visible()
    assert console_errors == []


def test_select_all_in_the_view_says_all_selected_and_clears(
    page: Page, live_server, login, salesperson, console_errors
):
    LeadFactory.create_batch(12, owner=salesperson)
    page.set_viewport_size(LAPTOP)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/?per_page=10")
    grid = page.get_by_role("region", name="My Open Leads")
    bar = page.get_by_role("toolbar", name="Command bar")

    page.get_by_role("checkbox", name="Select all on this page").check()
    expect(bar).to_contain_text("10 selected")
    grid.get_by_role("checkbox", name="Select all 12 leads in this view").check()
    expect(grid.get_by_text("All 12 selected · Clear selection")).to_be_visible()
    expect(grid.get_by_text("All 10 on this page are selected.")).to_be_hidden()
    expect(bar).to_contain_text("12 selected")
    expect(grid.get_by_role("button", name="Clear selection")).to_be_focused()
    expect_on(page, "Disqualify")
    expect_off(page, "Reactivate", "Select closed leads to reactivate")

    # Unticking a row ends "all in this view"; select all again, then Clear selection.
    grid.get_by_role("checkbox", name=re.compile(r"^Select (?!all)")).first.uncheck()
    expect(bar).to_contain_text("9 selected")
    expect(grid.locator("[data-select-all-banner]")).to_be_hidden()
    page.get_by_role("checkbox", name="Select all on this page").check()
    grid.get_by_role("checkbox", name="Select all 12 leads in this view").check()
    expect(bar).to_contain_text("12 selected")
    grid.get_by_role("button", name="Clear selection").click()
    expect(grid.get_by_role("checkbox", checked=True)).to_have_count(0)
    expect(grid.locator("[data-select-all-banner]")).to_be_hidden()
    expect(bar).not_to_contain_text("selected")
    expect_off(page, "Disqualify", "Select open leads to disqualify")
    assert console_errors == []


class HeldRequests:
    """Grid requests (htmx) held until released: what the user sees while one is on its way."""

    def __init__(self, page: Page) -> None:
        self.routes: list[Route] = []
        self.holding = True
        page.route(re.compile(r"/leads/(\?.*)?$"), self._handle)

    def _handle(self, route: Route) -> None:
        if self.holding and route.request.headers.get("hx-request"):
            self.routes.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        self.holding = False
        while self.routes:
            route = self.routes.pop(0)
            # The browser may have given that request up (hx-sync): nothing to continue then.
            with contextlib.suppress(Exception):
                route.continue_()


def test_sort_view_change_and_paging_show_that_the_grid_is_loading(
    page: Page, live_server, login, salesperson, console_errors
):
    LeadFactory.create_batch(12, owner=salesperson)
    page.set_viewport_size(LAPTOP)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/?per_page=10")
    loading = page.get_by_text("Loading…")
    expect(loading).to_be_hidden()
    held = HeldRequests(page)
    grid = page.locator("#lead-grid")

    actions = [
        lambda: grid.get_by_role("link", name="Name", exact=True).click(),
        lambda: grid.get_by_role("link", name="Next").click(),
        lambda: page.get_by_label("View", exact=True).select_option("All Leads"),
    ]
    for act in actions:
        held.holding = True
        act()
        expect(loading).to_be_visible()
        expect(grid).to_have_class(re.compile("htmx-request"))
        held.release()
        expect(loading).to_be_hidden()
        # Settled: the new grid takes its attributes a moment after the swap (htmx's settle),
        # which would drop a loading class a next request gave it in that moment.
        expect(page.locator("#lead-grid.htmx-settling, #lead-grid.htmx-swapping")).to_have_count(0)
    expect(page.get_by_role("heading", name="All Leads")).to_be_visible()
    assert console_errors == []


def test_of_two_quick_sorts_the_second_wins_without_console_errors(
    page: Page, live_server, login, salesperson, console_errors
):
    LeadFactory(owner=salesperson, first_name="Al", last_name="Zimmer", company_name="Alpine")
    LeadFactory(owner=salesperson, first_name="Zoe", last_name="Abbot", company_name="Zeta")
    page.set_viewport_size(LAPTOP)
    login(salesperson)
    held = HeldRequests(page)

    # The first sort is slow: it is still on its way when the second is asked for, 50 ms later.
    page.evaluate(
        """() => {
          const link = (name) => [...document.querySelectorAll('#lead-grid th a')]
            .find((a) => a.textContent.trim().startsWith(name));
          link('Name').click();
          setTimeout(() => link('Company Name').click(), 50);
        }"""
    )
    page.wait_for_timeout(400)
    held.release()

    grid = page.get_by_role("region", name="My Open Leads")
    expect(sorted_header(page, "Company Name")).to_have_attribute("aria-sort", "ascending")
    expect(grid.get_by_role("row").nth(1)).to_contain_text("Al Zimmer")
    expect(page).to_have_url(re.compile(r"sort=company_name"))
    page.wait_for_timeout(500)
    expect(sorted_header(page, "Company Name")).to_have_attribute("aria-sort", "ascending")

    # Back (the page is fetched again: no history cache) and forward: still no console error.
    page.go_back()
    expect(sorted_header(page, "Created On")).to_have_attribute("aria-sort", "descending")
    page.go_forward()
    expect(sorted_header(page, "Company Name")).to_have_attribute("aria-sort", "ascending")
    page.wait_for_load_state("networkidle")
    assert console_errors == []


def test_it_exports_the_view_as_the_grid_shows_it(
    page: Page, live_server, login, salesperson, other_salesperson
):
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Zed", company_name="=cmd()")
    LeadFactory(owner=other_salesperson, first_name="Bo", last_name="Abel")
    for index in range(55):
        LeadFactory(owner=other_salesperson, first_name="Many", last_name=f"Lead{index:02d}")
    page.set_viewport_size(LAPTOP)
    login(salesperson)
    page.get_by_label("View", exact=True).select_option("All Leads")
    expect(page.get_by_role("region", name="All Leads")).to_be_visible()  # the grid redrawn
    page.locator("#lead-grid").get_by_role("link", name="Name", exact=True).click()
    expect(sorted_header(page, "Name")).to_have_attribute("aria-sort", "ascending")

    with page.expect_download() as info:
        page.get_by_role("toolbar", name="Command bar").get_by_role(
            "link", name="Export to CSV"
        ).click()
    download = info.value

    assert download.suggested_filename == f"all-leads-{timezone.localdate():%Y-%m-%d}.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows[0][0] == "Name"
    assert len(rows) == 58  # the header and every lead of the view, not the page of 50
    assert [row[0] for row in rows[1:3]] == ["Bo Abel", "Many Lead00"]
    assert rows[-1][0] == "Ann Zed"
    assert rows[-1][2] == "'=cmd()"


def test_the_user_chooses_the_columns_and_keeps_them(
    page: Page, live_server, login, salesperson, console_errors
):
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee")
    page.set_viewport_size(LAPTOP)
    login(salesperson)
    headers = page.locator("#lead-grid thead th")
    expect(headers).to_have_count(9)

    page.get_by_role("toolbar", name="Command bar").get_by_role("link", name="Edit columns").click()
    dialog = page.get_by_role("dialog", name="Edit columns")
    expect(dialog.get_by_role("checkbox", name="Name", exact=True)).to_be_disabled()
    expect(dialog.get_by_role("checkbox", name="Name", exact=True)).to_be_checked()
    dialog.get_by_role("checkbox", name="Topic").uncheck()
    dialog.get_by_role("checkbox", name="Email").uncheck()
    dialog.get_by_role("checkbox", name="Business Phone").uncheck()
    dialog.get_by_role("button", name="Save").click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Columns saved.")
    expect(headers).to_have_text(
        ["", "Name", "Company Name", "Status Reason", "Owner", "Created On ▼"]
    )
    page.reload()
    expect(headers).to_have_count(6)
    # Someone else's grid keeps every column.
    other = UserFactory(username="una", salesperson=True)
    LeadFactory(owner=other)
    page.get_by_role("button", name="Sign out").click()
    login(other)
    expect(headers).to_have_count(9)
    assert console_errors == []
