"""The summary endpoint down, slow or answering garbage: the lead is qualified all the same,
with the built-in summary, and a slow endpoint never holds the lead's row lock."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from crm.models import Opportunity, TimelineEntry, TimelineEntryKind
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import lead_disqualify
from qualification.engine import LEAD_CLOSED, LeadClosedError, lead_qualify
from qualification.models import Experience, Qualification, QualificationSettings
from qualification.services import qualification_settings_update
from qualification.summary import BuiltinSummariser, lead_facts
from tests.concurrency.tools import THREAD_TIMEOUT, join, start_thread
from tests.factories import LeadFactory, TimelineEntryFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]

TIMEOUT = 0.5
# A call that falls back may take the timeout and a little more, never the endpoint's delay.
FALLBACK_WITHIN = TIMEOUT + 1.5
LLM_ANSWER = "Ann buys chairs for the new office this quarter."


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client gave up (timeout) and closed the socket: nothing to report.
        return


class ChatEndpoint:
    """A local OpenAI-style chat endpoint whose answer each test chooses."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None]) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        self.received = threading.Event()
        self.stop = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.requests.append({"path": self.path, "json": json.loads(body)})
                endpoint.received.set()
                endpoint.answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def _send(
    handler: BaseHTTPRequestHandler,
    body: bytes,
    *,
    status: int = 200,
    content_type: str = "application/json",
    length: int | None = None,
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def _chat(content: Any) -> bytes:
    return json.dumps(
        {"choices": [{"message": {"role": "assistant", "content": content}}]}
    ).encode()


def answers_well(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, _chat(LLM_ANSWER))


@pytest.fixture
def chat_endpoint_factory(settings) -> Iterator[Callable[..., ChatEndpoint]]:
    started: list[ChatEndpoint] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None], timeout: float = TIMEOUT):
        endpoint = ChatEndpoint(answer)
        started.append(endpoint)
        settings.SUMMARY_LLM_URL = endpoint.url
        settings.SUMMARY_LLM_MODEL = "test-model"
        settings.SUMMARY_LLM_TIMEOUT = timeout
        return endpoint

    yield start
    for endpoint in started:
        endpoint.close()


@pytest.fixture(autouse=True)
def _summaries_on() -> None:
    qualification_settings_update(
        qualification_settings=QualificationSettings.load(),
        experience=Experience.NEW,
        summarize_after_qualify=True,
    )


@pytest.fixture
def lead() -> Lead:
    lead = LeadFactory(owner=UserFactory(), company_name="Adventure Works", budget_amount=12500)
    TimelineEntryFactory(record=lead, title="Call", body="Wants chairs before the move.")
    return lead


def _builtin(lead: Lead) -> str:
    return BuiltinSummariser().summarise(lead_facts(lead=lead))


def assert_qualified_with_summary(lead: Lead, result: Any, summary: str) -> None:
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert result.summary == summary
    assert Qualification.objects.get(lead=lead).summary == summary
    summaries = TimelineEntry.objects.filter(kind=TimelineEntryKind.SUMMARY)
    on_lead = summaries.get(content_type=ContentType.objects.get_for_model(Lead))
    on_opportunity = summaries.get(content_type=ContentType.objects.get_for_model(Opportunity))
    assert on_lead.object_id == lead.pk and on_lead.body == summary
    assert on_opportunity.object_id == lead.qualifying_opportunity_id
    assert on_opportunity.body == summary


def test_it_uses_the_endpoints_summary_when_it_answers(chat_endpoint_factory, lead):
    endpoint = chat_endpoint_factory(answers_well)

    result = lead_qualify(lead_id=lead.pk, acting_user=lead.owner)

    assert_qualified_with_summary(lead, result, LLM_ANSWER)
    [request] = endpoint.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["json"]["model"] == "test-model"
    assert "Adventure Works" in request["json"]["messages"][1]["content"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_qualifies_with_the_builtin_summary_when_the_endpoint_is_down(settings, lead, caplog):
    # Nothing listens on the port: the connection is refused at once.
    settings.SUMMARY_LLM_URL = f"http://127.0.0.1:{_free_port()}/v1"
    settings.SUMMARY_LLM_TIMEOUT = TIMEOUT
    expected = _builtin(lead)

    started = time.monotonic()
    result = lead_qualify(lead_id=lead.pk, acting_user=lead.owner)

    assert time.monotonic() - started < FALLBACK_WITHIN
    assert_qualified_with_summary(lead, result, expected)
    assert "Lead summary endpoint failed" in caplog.text


def _slow(endpoint_stop: threading.Event) -> Callable[[BaseHTTPRequestHandler], None]:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        # A good answer, but far too late.
        endpoint_stop.wait(TIMEOUT * 8)
        _send(handler, _chat(LLM_ANSWER))

    return answer


def _garbage(body: bytes, **kwargs: Any) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda handler: _send(handler, body, **kwargs)


def _hangs_up(handler: BaseHTTPRequestHandler) -> None:
    # Reads the request, then closes the connection without a word.
    handler.close_connection = True
    handler.wfile.flush()
    handler.connection.shutdown(socket.SHUT_RDWR)


GARBAGE = {
    "not-json": _garbage(b"<html><body>Bad gateway</body></html>", content_type="text/html"),
    "json-of-another-shape": _garbage(b'{"result": "a summary", "ok": true}'),
    "no-choices": _garbage(b'{"choices": []}'),
    "empty-content": _garbage(_chat("   ")),
    "content-not-text": _garbage(_chat({"text": LLM_ANSWER})),
    "not-utf8": _garbage(b'{"choices": "\xff\xfe"}'),
    "http-500": _garbage(b'{"error": "internal"}', status=500),
    "http-429": _garbage(b'{"error": "rate limited"}', status=429),
    # Promises 4000 bytes, sends a few, closes.
    "cut-short": _garbage(_chat(LLM_ANSWER)[:20], length=4000),
    "hangs-up": _hangs_up,
}


@pytest.mark.parametrize("answer", list(GARBAGE), ids=str)
def test_it_qualifies_with_the_builtin_summary_when_the_endpoint_answers_garbage(
    chat_endpoint_factory, lead, caplog, answer
):
    endpoint = chat_endpoint_factory(GARBAGE[answer])
    expected = _builtin(lead)

    started = time.monotonic()
    result = lead_qualify(lead_id=lead.pk, acting_user=lead.owner)

    assert time.monotonic() - started < FALLBACK_WITHIN
    assert len(endpoint.requests) == 1
    assert_qualified_with_summary(lead, result, expected)
    assert "Lead summary endpoint failed" in caplog.text


def test_it_qualifies_with_the_builtin_summary_when_the_endpoint_is_too_slow(
    chat_endpoint_factory, lead, caplog
):
    stop = threading.Event()
    endpoint = chat_endpoint_factory(_slow(stop))
    expected = _builtin(lead)

    try:
        started = time.monotonic()
        result = lead_qualify(lead_id=lead.pk, acting_user=lead.owner)
        elapsed = time.monotonic() - started
    finally:
        stop.set()

    assert TIMEOUT <= elapsed < FALLBACK_WITHIN
    assert len(endpoint.requests) == 1
    assert_qualified_with_summary(lead, result, expected)
    assert "timed out" in caplog.text


def test_an_endpoint_that_trickles_its_answer_is_cut_off_at_the_timeout(
    chat_endpoint_factory, lead
):
    stop = threading.Event()
    body = _chat(LLM_ANSWER)

    def trickles(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        # One byte every 0.4 s, each within the timeout: about 4 s for the first ten bytes.
        for position in range(len(body)):
            if stop.wait(TIMEOUT * 0.8):
                return
            handler.wfile.write(body[position : position + 1])
            handler.wfile.flush()
            if position == 10:
                handler.connection.shutdown(socket.SHUT_RDWR)
                return

    chat_endpoint_factory(trickles)
    try:
        started = time.monotonic()
        result = lead_qualify(lead_id=lead.pk, acting_user=lead.owner)
        elapsed = time.monotonic() - started
    finally:
        stop.set()

    assert_qualified_with_summary(lead, result, _builtin(lead))
    assert elapsed < FALLBACK_WITHIN, f"the qualify waited {elapsed:.1f}s for the summary"


def test_a_slow_summary_holds_no_lock_and_a_disqualify_meanwhile_wins(chat_endpoint_factory, lead):
    """The summary is written before the qualify's transaction: while the endpoint stalls,
    the lead is not locked, so a disqualify goes through at once; the qualify then locks the
    lead, sees it closed and writes nothing."""
    release = threading.Event()

    def stalls(handler: BaseHTTPRequestHandler) -> None:
        release.wait(THREAD_TIMEOUT)
        _send(handler, _chat(LLM_ANSWER))

    endpoint = chat_endpoint_factory(stalls, timeout=THREAD_TIMEOUT)
    thread, outcome = start_thread(lambda: lead_qualify(lead_id=lead.pk, acting_user=lead.owner))
    try:
        assert endpoint.received.wait(THREAD_TIMEOUT)
        started = time.monotonic()
        lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=lead.owner)
        assert time.monotonic() - started < 1.0
        assert thread.is_alive(), "the qualify should still be waiting for its summary"
    finally:
        release.set()
    join(thread)

    assert type(outcome.error) is LeadClosedError and str(outcome.error) == LEAD_CLOSED
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.DISQUALIFIED, LeadStatus.LOST)
    assert not Qualification.objects.exists() and not LeadOrigin.objects.exists()
    assert not TimelineEntry.objects.filter(kind=TimelineEntryKind.SUMMARY).exists()
