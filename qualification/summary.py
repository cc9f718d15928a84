"""The lead summary shown after qualification: a pluggable summariser.

The built-in summariser needs no network: it writes plain sentences from the lead's fields and
its notes. When SUMMARY_LLM_URL is set, an OpenAI-compatible chat endpoint writes the summary
instead; any failure there (no connection, timeout, HTTP error, bad JSON, an empty answer)
falls back to the built-in text, so qualification never waits longer than the timeout and never
fails because of the summary. Every summariser returns plain text: the pages escape it.

SUMMARY_LLM_TIMEOUT bounds the whole call, not each socket read: the call runs in a thread of
its own and the qualify waits for it at most that long. An endpoint that answers a byte at a
time is abandoned at the deadline; its thread stops reading soon after, and it never touches
the database (it only gets the lead's facts, and its connections refuse queries).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import connections

from crm.models import TimelineEntryKind
from crm.money import format_money
from leads.models import Lead

logger = logging.getLogger(__name__)

# An LLM answer longer than this is cut (the timeline keeps summaries readable).
MAX_SUMMARY_CHARS = 4000
# Notes passed on to the summary (newest first); older ones add little to a first call.
MAX_NOTES = 10
# An endpoint answer larger than this is refused (a chat answer is a few kilobytes).
MAX_ANSWER_BYTES = 1024 * 1024
LLM_SYSTEM_PROMPT = (
    "You summarise a sales lead for the salesperson who just qualified it. Write a short, "
    "factual summary in plain text (no markdown, no lists), at most six sentences, using only "
    "the facts given: who the person is, the company, how to reach them, the need, budget, "
    "timeframe, purchase process, decision maker and anything important from the notes."
)


@dataclass(frozen=True)
class LeadNote:
    title: str
    body: str


@dataclass(frozen=True)
class LeadFacts:
    """What a summariser may use: the lead's display values and its notes, newest first."""

    full_name: str
    job_title: str = ""
    company_name: str = ""
    email: str = ""
    business_phone: str = ""
    mobile_phone: str = ""
    website: str = ""
    topic: str = ""
    need: str = ""
    budget: str = ""
    purchase_timeframe: str = ""
    purchase_process: str = ""
    decision_maker: bool = False
    qualification_comments: str = ""
    description: str = ""
    notes: list[LeadNote] = field(default_factory=list)


class Summariser(Protocol):
    def summarise(self, facts: LeadFacts) -> str: ...


def lead_facts(*, lead: Lead, notes: list[LeadNote] | None = None) -> LeadFacts:
    """The facts of one lead; reads its notes (one query) unless they are given."""
    if notes is None:
        entries = lead.timeline.filter(kind=TimelineEntryKind.NOTE).order_by("-created_at", "-id")[
            :MAX_NOTES
        ]
        notes = [LeadNote(title=entry.title, body=entry.body) for entry in entries]
    return LeadFacts(
        full_name=lead.full_name,
        job_title=lead.job_title,
        company_name=lead.company_name,
        email=lead.email,
        business_phone=lead.business_phone,
        mobile_phone=lead.mobile_phone,
        website=lead.website,
        topic=lead.topic,
        need=lead.get_need_display() if lead.need else "",
        budget=format_money(lead.budget_amount),
        purchase_timeframe=(
            lead.get_purchase_timeframe_display() if lead.purchase_timeframe else ""
        ),
        purchase_process=lead.get_purchase_process_display() if lead.purchase_process else "",
        decision_maker=lead.decision_maker,
        qualification_comments=lead.qualification_comments,
        description=lead.description,
        notes=list(notes),
    )


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    return text if text[-1] in ".!?" else f"{text}."


def _note_text(note: LeadNote) -> str:
    title = " ".join(note.title.split()).rstrip(".:;")
    body = " ".join(note.body.split())
    if title and body:
        return _sentence(f"{title}: {body}")
    return _sentence(title or body)


class BuiltinSummariser:
    """Readable sentences from the facts; no network, never fails."""

    def summarise(self, facts: LeadFacts) -> str:
        paragraphs: list[str] = []

        who = facts.full_name or "This lead"
        if facts.job_title and facts.company_name:
            intro = _sentence(f"{who} is {facts.job_title} at {facts.company_name}")
        elif facts.job_title:
            intro = _sentence(f"{who} is {facts.job_title}")
        elif facts.company_name:
            intro = _sentence(f"{who} works at {facts.company_name}")
        else:
            intro = f"{who} has no company on record."
        if facts.topic:
            intro += f" Interested in: {_sentence(facts.topic)}"
        paragraphs.append(intro)

        reach = [
            f"{label} {value}"
            for label, value in (
                ("email", facts.email),
                ("business phone", facts.business_phone),
                ("mobile phone", facts.mobile_phone),
                ("website", facts.website),
            )
            if value
        ]
        if reach:
            paragraphs.append(f"Contact details: {', '.join(reach)}.")

        deal: list[str] = []
        if facts.need:
            deal.append(f"Need: {facts.need}.")
        if facts.budget:
            deal.append(f"Budget: {facts.budget}.")
        if facts.purchase_timeframe:
            deal.append(f"Purchase timeframe: {facts.purchase_timeframe}.")
        if facts.purchase_process:
            deal.append(f"Purchase process: {facts.purchase_process}.")
        deal.append(
            "The decision maker has been identified."
            if facts.decision_maker
            else "The decision maker has not been identified yet."
        )
        paragraphs.append(" ".join(deal))

        if facts.qualification_comments.strip():
            paragraphs.append(f"Qualification comments: {_sentence(facts.qualification_comments)}")
        if facts.description.strip():
            paragraphs.append(f"Description: {_sentence(facts.description)}")
        notes = [text for text in map(_note_text, facts.notes) if text]
        if notes:
            paragraphs.append("Notes: " + " ".join(notes))
        return "\n\n".join(paragraphs)


class LlmSummaryError(Exception):
    """The chat endpoint gave no usable summary."""


def _refuse_query(*args: Any) -> Any:
    raise LlmSummaryError("the summary call must not query the database")


@contextmanager
def _without_database() -> Iterator[None]:
    """In the summary thread: every query is refused, and whatever connection the thread
    opened anyway is closed when it ends (Django's connections belong to their thread, so
    an abandoned thread would otherwise keep one open)."""
    try:
        with ExitStack() as stack:
            for wrapper in connections.all():
                stack.enter_context(wrapper.execute_wrapper(_refuse_query))
            yield
    finally:
        connections.close_all()


def _call_in_thread[T](call: Callable[[], T], *, timeout: float) -> T:
    """`call()` in a daemon thread of its own, waited for at most `timeout` seconds.

    On timeout the caller goes on at once; the thread is left to finish by itself (a daemon,
    so it never holds up the process's exit).
    """
    future: Future[T] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            with _without_database():
                future.set_result(call())
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name="lead-summary", daemon=True).start()
    try:
        return future.result(timeout=timeout)
    except TimeoutError as error:
        raise LlmSummaryError(f"the endpoint timed out after {timeout:g}s") from error


class LlmSummariser:
    """An OpenAI-compatible chat endpoint (POST .../chat/completions), built-in as fallback."""

    def __init__(
        self,
        *,
        url: str,
        model: str,
        api_key: str = "",
        timeout: float = 5.0,
        fallback: Summariser | None = None,
    ) -> None:
        url = url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else f"{url}/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.fallback = fallback or BuiltinSummariser()

    def summarise(self, facts: LeadFacts) -> str:
        deadline = time.monotonic() + self.timeout
        try:
            return _call_in_thread(
                lambda: self._ask(facts, deadline=deadline), timeout=self.timeout
            )
        except (LlmSummaryError, OSError, ValueError, http.client.HTTPException) as error:
            # OSError covers refused connections, timeouts and HTTP errors (urllib's URLError
            # and HTTPError); ValueError covers bad JSON; HTTPException a broken answer. The
            # lead is qualified either way.
            logger.warning("Lead summary endpoint failed, using the built-in summary: %s", error)
            return self.fallback.summarise(facts)

    def _ask(self, facts: LeadFacts, *, deadline: float) -> str:
        facts_text = BuiltinSummariser().summarise(facts)
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": LLM_SYSTEM_PROMPT},
                {"role": "user", "content": facts_text},
            ],
            "temperature": 0.2,
            "stream": False,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if not self.url.startswith(("http://", "https://")):
            raise LlmSummaryError(f"not an http(s) URL: {self.url}")
        # The scheme is checked above, so neither call can open a file: URL.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=json.dumps(payload).encode(), headers=headers, method="POST"
        )
        # The timeout here bounds each socket operation; the deadline bounds the whole read.
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            body = json.loads(_read_before(response, deadline=deadline).decode("utf-8"))
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise LlmSummaryError(f"unexpected answer: {error!r}") from error
        if not isinstance(content, str) or not content.strip():
            raise LlmSummaryError("empty answer")
        return content.strip()[:MAX_SUMMARY_CHARS]


def _read_before(response: http.client.HTTPResponse, *, deadline: float) -> bytes:
    """The answer's body, read as it arrives; given up at the deadline or past the size cap
    (so a thread left behind by a dripping endpoint ends soon after the caller gave up)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise LlmSummaryError("the endpoint timed out while answering")
        chunk = response.read1(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise LlmSummaryError(f"answer larger than {MAX_ANSWER_BYTES} bytes")
        chunks.append(chunk)


def summariser_get() -> Summariser:
    """The configured summariser: the chat endpoint when SUMMARY_LLM_URL is set."""
    if settings.SUMMARY_LLM_URL:
        return LlmSummariser(
            url=settings.SUMMARY_LLM_URL,
            model=settings.SUMMARY_LLM_MODEL,
            api_key=settings.SUMMARY_LLM_API_KEY,
            timeout=settings.SUMMARY_LLM_TIMEOUT,
        )
    return BuiltinSummariser()


def lead_summary_build(*, lead: Lead, notes: list[LeadNote] | None = None) -> str:
    """The summary of one lead, from the configured summariser (never raises for the LLM)."""
    return summariser_get().summarise(lead_facts(lead=lead, notes=notes))
