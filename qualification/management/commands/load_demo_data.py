"""`manage.py load_demo_data`: the demo users, leads and customer records (qualification/demo/),
loaded once; a second run changes nothing and says so."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from qualification.demo import (
    ALREADY_LOADED,
    DEFAULT_SITE_URL,
    demo_data_loaded,
    demo_load,
    logins_table,
)


class Command(BaseCommand):
    help = "Load the demo users, leads and customer records (once; a second run changes nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--site-url",
            default=DEFAULT_SITE_URL,
            help=f"Where the demo is served, for the sign-in hint (default: {DEFAULT_SITE_URL}).",
        )

    def handle(self, *args: Any, site_url: str, **options: Any) -> None:
        if demo_data_loaded():
            self.stdout.write(ALREADY_LOADED)
        else:
            with transaction.atomic():
                counts, skipped = demo_load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded:"))
            for label, count in counts.items():
                self.stdout.write(f"  {label:<28} {count}")
            for message in skipped:
                self.stderr.write(message)
        self.stdout.write("")
        self.stdout.write(logins_table(site_url=site_url))
