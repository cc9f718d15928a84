"""The lead summary: the built-in summariser and the optional chat endpoint with its fallback.

The endpoint tests run a tiny HTTP server on 127.0.0.1 in a thread, so nothing leaves the
machine.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import User

from crm.models import Need, PurchaseProcess, PurchaseTimeframe
from qualification import summary as summary_module
from qualification.summary import (
    BuiltinSummariser,
    LeadFacts,
    LlmSummariser,
    LlmSummaryError,
    format_money,
    lead_facts,
    lead_summary_build,
    summariser_get,
)
from tests.factories import LeadFactory, TimelineEntryFactory

Handler = Callable[[BaseHTTPRequestHandler, dict], None]


class ChatServer:
    """An OpenAI-compatible chat endpoint whose answer each test chooses."""

    def __init__(self, answer: Handler) -> None:
        self.requests: list[tuple[dict, dict[str, str]]] = []
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append((payload, dict(self.headers)))
                answer(self, payload)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1/chat/completions"

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def chat_answer(content: object) -> Handler:
    def answer(handler: BaseHTTPRequestHandler, payload: dict) -> None:
        body = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}}]}
        reply(handler, 200, json.dumps(body).encode())

    return answer


@pytest.fixture
def facts() -> LeadFacts:
    return LeadFacts(
        full_name="Nina Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="nina@fabrikam.example",
        business_phone="+1 555 100 2000",
        topic="Office chairs",
        need="Must have",
        budget="12,500.00",
        purchase_timeframe="This Quarter",
        purchase_process="Committee",
        decision_maker=True,
        qualification_comments="Wants a demo first",
        notes=[],
    )


@pytest.fixture
def chat_server() -> Iterator[Callable[[Handler], ChatServer]]:
    servers: list[ChatServer] = []

    def start(answer: Handler) -> ChatServer:
        server = ChatServer(answer).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


# Built-in ----------------------------------------------------------------------------------


def test_it_formats_money():
    assert format_money(Decimal("12500")) == "$12,500.00"
    assert format_money(Decimal("1000000000000")) == "$1,000,000,000,000.00"
    assert format_money(None) == ""
    assert format_money(Decimal("12500"), currency="CHF") == "12,500.00 CHF"
    assert format_money(Decimal("0.5"), currency="eur") == "€0.50"


@pytest.mark.django_db
def test_it_writes_readable_sentences_from_the_lead_and_its_notes():
    lead = LeadFactory(
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="nina@fabrikam.example",
        business_phone="+1 555 100 2000",
        mobile_phone="+1 555 100 3000",
        website="",
        budget_amount=Decimal("12500"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
        purchase_process=PurchaseProcess.COMMITTEE,
        need=Need.MUST_HAVE,
        decision_maker=True,
        qualification_comments="Wants a demo first",
        description="",
    )
    TimelineEntryFactory(record=lead, title="First call.", body="Needs 40 chairs by June")
    TimelineEntryFactory(record=lead, title="", body="Prefers email.")

    summary = BuiltinSummariser().summarise(lead_facts(lead=lead))

    assert summary.split("\n\n") == [
        "Nina Novak is Buyer at Fabrikam, Inc. Interested in: Office chairs.",
        "Contact details: email nina@fabrikam.example, business phone +1 555 100 2000, "
        "mobile phone +1 555 100 3000.",
        "Need: Must have. Budget: $12,500.00. Purchase timeframe: This Quarter. "
        "Purchase process: Committee. The decision maker has been identified.",
        "Qualification comments: Wants a demo first.",
        "Notes: Prefers email. First call: Needs 40 chairs by June.",
    ]


def test_it_summarises_a_lead_with_few_facts():
    summary = BuiltinSummariser().summarise(LeadFacts(full_name="Bo Berg"))

    assert summary == (
        "Bo Berg has no company on record.\n\nThe decision maker has not been identified yet."
    )


def test_it_keeps_markup_as_plain_text():
    summary = BuiltinSummariser().summarise(
        LeadFacts(full_name="<b>Bo</b>", qualification_comments="<script>x</script>")
    )

    assert "<b>Bo</b>" in summary  # the pages escape it; the summariser never renders HTML


@pytest.mark.django_db
def test_it_uses_the_builtin_summariser_without_an_endpoint(settings):
    settings.SUMMARY_LLM_URL = ""
    lead = LeadFactory(first_name="Nina", last_name="Novak", job_title="", company_name="")

    assert isinstance(summariser_get(), BuiltinSummariser)
    assert lead_summary_build(lead=lead).startswith("Nina Novak has no company on record.")


# Chat endpoint -----------------------------------------------------------------------------


def test_it_uses_the_endpoints_answer(chat_server, facts):
    server = chat_server(chat_answer("  Nina Novak, Buyer at Fabrikam, must have chairs.  "))
    summariser = LlmSummariser(url=server.url, model="tiny", api_key="sk-test", timeout=2)

    summary = summariser.summarise(facts)

    assert summary == "Nina Novak, Buyer at Fabrikam, must have chairs."
    [(payload, headers)] = server.requests
    assert payload["model"] == "tiny"
    assert payload["messages"][0]["role"] == "system"
    assert "Nina Novak is Buyer at Fabrikam, Inc." in payload["messages"][1]["content"]
    assert headers["Authorization"] == "Bearer sk-test"
    assert headers["Content-Type"] == "application/json"


def test_it_appends_the_chat_path_to_a_base_url(chat_server, facts):
    server = chat_server(chat_answer("Short summary."))
    base_url = server.url.removesuffix("/chat/completions")

    assert LlmSummariser(url=base_url, model="tiny").summarise(facts) == "Short summary."


def test_it_picks_the_endpoint_from_the_settings(chat_server, facts, settings):
    server = chat_server(chat_answer("From the endpoint."))
    settings.SUMMARY_LLM_URL = server.url
    settings.SUMMARY_LLM_MODEL = "tiny"
    settings.SUMMARY_LLM_API_KEY = ""
    settings.SUMMARY_LLM_TIMEOUT = 2.0

    summariser = summariser_get()

    assert isinstance(summariser, LlmSummariser)
    assert summariser.summarise(facts) == "From the endpoint."
    [(_, headers)] = server.requests
    assert "Authorization" not in headers


def expect_fallback(summariser: LlmSummariser, facts: LeadFacts, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="qualification.summary"):
        summary = summariser.summarise(facts)
    assert summary == BuiltinSummariser().summarise(facts)
    assert "built-in summary" in caplog.text


def test_it_falls_back_when_the_endpoint_times_out(chat_server, facts, caplog):
    def slow(handler: BaseHTTPRequestHandler, payload: dict) -> None:
        time.sleep(1.5)
        chat_answer("Too late.")(handler, payload)

    server = chat_server(slow)
    summariser = LlmSummariser(url=server.url, model="tiny", timeout=0.3)

    started = time.monotonic()
    expect_fallback(summariser, facts, caplog)

    assert time.monotonic() - started < 1.2


def test_it_falls_back_on_bad_json(chat_server, facts, caplog):
    server = chat_server(lambda handler, payload: reply(handler, 200, b"{not json"))

    expect_fallback(LlmSummariser(url=server.url, model="tiny", timeout=2), facts, caplog)


def test_it_falls_back_on_an_http_error(chat_server, facts, caplog):
    server = chat_server(lambda handler, payload: reply(handler, 500, b'{"error": "boom"}'))

    expect_fallback(LlmSummariser(url=server.url, model="tiny", timeout=2), facts, caplog)


@pytest.mark.parametrize("content", ["", "   ", None, 42])
def test_it_falls_back_on_an_empty_answer(chat_server, facts, caplog, content):
    server = chat_server(chat_answer(content))

    expect_fallback(LlmSummariser(url=server.url, model="tiny", timeout=2), facts, caplog)


def test_it_falls_back_on_an_answer_without_choices(chat_server, facts, caplog):
    server = chat_server(lambda handler, payload: reply(handler, 200, b'{"choices": []}'))

    expect_fallback(LlmSummariser(url=server.url, model="tiny", timeout=2), facts, caplog)


def test_it_falls_back_when_nothing_listens(facts, caplog):
    server = ChatServer(chat_answer("never"))
    url = server.url
    server.httpd.server_close()  # the port is free again: the connection is refused

    expect_fallback(LlmSummariser(url=url, model="tiny", timeout=1), facts, caplog)


def test_it_refuses_a_url_that_is_not_http(facts, caplog):
    expect_fallback(LlmSummariser(url="file:///etc/passwd", model="tiny"), facts, caplog)


def _answer_in_pieces(body: bytes, *, every: float, stop: threading.Event) -> Handler:
    """Headers at once, then the body a few bytes at a time, one piece every `every` seconds
    (each piece well within a per-read timeout); gives up when the test stops it."""

    def answer(handler: BaseHTTPRequestHandler, payload: dict) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.flush()
        for start in range(0, len(body), 4):
            if stop.wait(every):
                return
            try:
                handler.wfile.write(body[start : start + 4])
                handler.wfile.flush()
            except OSError:
                return  # the client hung up

    return answer


def _summary_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "lead-summary"]


def test_it_falls_back_at_the_timeout_when_the_endpoint_drips_its_answer(
    chat_server, facts, caplog
):
    """SUMMARY_LLM_TIMEOUT bounds the whole call: an answer that arrives a few bytes every
    0.2 s (each read within the 0.5 s timeout, about 20 s in all) is given up at 0.5 s."""
    stop = threading.Event()
    body = json.dumps({"choices": [{"message": {"content": "Dripped summary."}}]}).encode()
    server = chat_server(_answer_in_pieces(body, every=0.2, stop=stop))
    summariser = LlmSummariser(url=server.url, model="tiny", timeout=0.5)

    try:
        started = time.monotonic()
        expect_fallback(summariser, facts, caplog)
        elapsed = time.monotonic() - started
        assert 0.5 <= elapsed < 1.0, f"the summary waited {elapsed:.2f}s"
        assert "timed out" in caplog.text
        # The thread left behind stops reading at its deadline (one more read at most),
        # while the endpoint is still dripping.
        deadline = time.monotonic() + 2.0
        while _summary_threads() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _summary_threads(), "the summary thread still reads the dripping answer"
    finally:
        stop.set()


def test_it_reads_an_answer_that_arrives_in_pieces_within_the_timeout(chat_server, facts):
    stop = threading.Event()
    body = json.dumps({"choices": [{"message": {"content": "In pieces."}}]}).encode()
    server = chat_server(_answer_in_pieces(body, every=0.005, stop=stop))

    try:
        assert LlmSummariser(url=server.url, model="tiny", timeout=5).summarise(facts) == (
            "In pieces."
        )
    finally:
        stop.set()


def test_it_refuses_an_answer_larger_than_the_cap(chat_server, facts, caplog, monkeypatch):
    monkeypatch.setattr(summary_module, "MAX_ANSWER_BYTES", 100)
    server = chat_server(chat_answer("x" * 200))

    expect_fallback(LlmSummariser(url=server.url, model="tiny", timeout=2), facts, caplog)
    assert "answer larger than 100 bytes" in caplog.text


@pytest.mark.django_db
def test_the_summary_thread_may_not_query_the_database():
    with pytest.raises(LlmSummaryError, match="must not query the database"):
        summary_module._call_in_thread(lambda: User.objects.count(), timeout=5)
