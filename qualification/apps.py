from __future__ import annotations

from django.apps import AppConfig


class QualificationConfig(AppConfig):
    name = "qualification"
    verbose_name = "Lead qualification"

    def ready(self) -> None:
        # The lead grid's filter words about qualification records (leads can't import them).
        from qualification.insights.filters import filter_words_register

        filter_words_register()
        # The duplicate rules' switches, for lead-to-lead detection (leads can't import them).
        from crm.matching.rules import duplicate_rules_loader_register
        from qualification.services.settings import duplicate_rules_load

        duplicate_rules_loader_register(duplicate_rules_load)
