from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from leads.services.owner import owner_saved

        # The leads store their owner's sort key (Lead.owner_sort): a rename rewrites it.
        post_save.connect(owner_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="lead-owner")
