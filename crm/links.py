"""What points at an account or contact, found through the models' `_meta`.

`crm` is the lowest app: leads, origins and qualification records (declared in higher apps)
point at accounts and contacts, and `crm` must not import them. Merging two records and
refusing a delete both need every such link, so they are read here from the model itself:
each reverse relation (a foreign key or one-to-one field on any model, hidden ones included,
such as a lead's Existing Account) and each generic foreign key (the timeline entries). A new
model that points at accounts is picked up without a change here.

Two things a link may declare:
- a unique constraint over its field (a one-to-one field, `unique=True`, `unique_together` or
  a `UniqueConstraint` on plain fields): when two merged records each have a row for the same
  key, only one can stay (see `Link.unique_keys`);
- "open" rows: a model with a class attribute `links_block_delete_when` (a `Q`) says which of
  its rows are still being worked on, so a record they point at must not be deleted (an open
  opportunity, an open lead). A `PROTECT` foreign key blocks a delete whatever the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

BLOCKS_DELETE_ATTRIBUTE = "links_block_delete_when"


@dataclass(frozen=True)
class Link:
    """One way rows of `model` point at a record: through `column` (the foreign key's column,
    or a generic foreign key's object id, then narrowed by `target` to the record's type)."""

    model: type[models.Model]
    column: str  # attname: "account_id", "object_id"
    label: str  # the field's name as people read it: "Account Name", "Existing Account"
    generic_type_column: str = ""  # the content type column of a generic foreign key
    protects: bool = False  # on_delete=PROTECT: the row keeps its target from being deleted
    # Each unique constraint over the column, as the other columns that complete it: rows of
    # two merged records with the same values there cannot both point at the master. () is
    # a one-to-one link: one row per record.
    unique_keys: tuple[tuple[str, ...], ...] = ()

    def pointing_at(self, record_model: type[models.Model], ids: list[int]) -> Q:
        """The rows of this link that point at any of `ids` (records of `record_model`)."""
        condition = Q(**{f"{self.column}__in": ids})
        if self.generic_type_column:
            content_type = ContentType.objects.get_for_model(record_model)
            condition &= Q(**{self.generic_type_column: content_type.pk})
        return condition

    @property
    def open_rows(self) -> Q | None:
        """The rows that block a delete of what they point at (None: no row of this model is
        "open"); a PROTECT link blocks with every row."""
        if self.protects:
            return Q()
        return getattr(self.model, BLOCKS_DELETE_ATTRIBUTE, None)

    @property
    def plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    @property
    def singular(self) -> str:
        return str(self.model._meta.verbose_name)

    def title(self, count: int) -> str:
        """What `count` rows of this link are, without the number: "contacts (Account Name)",
        "lead (Existing Account)", "timeline entries"."""
        noun = self.singular if count == 1 else self.plural
        return noun if self.generic_type_column else f"{noun} ({self.label})"


def unique_keys_over(
    model: type[models.Model], field_names: set[str]
) -> tuple[tuple[str, ...], ...]:
    """The other columns of each unique constraint of `model` over one of `field_names`."""
    keys: list[tuple[str, ...]] = []
    sets: list[tuple[str, ...]] = [tuple(fields) for fields in model._meta.unique_together]
    for constraint in model._meta.total_unique_constraints:
        sets.append(tuple(constraint.fields))
    for constraint in model._meta.constraints:
        if not isinstance(constraint, models.UniqueConstraint):
            continue
        partial = constraint.condition is not None or constraint.expressions
        if partial and (constraint.expressions or field_names & set(constraint.fields)):
            # A conditional or expression constraint over the link can't be checked before the
            # rows move; refuse to walk rather than merge into a violation.
            raise ImproperlyConfigured(
                f"{model._meta.label}.{constraint.name}: merging records it points at needs "
                "a unique constraint on plain fields."
            )
    for fields in sets:
        named = field_names & set(fields)
        if named:
            others = tuple(
                model._meta.get_field(name).attname for name in fields if name not in named
            )
            keys.append(others)
    return tuple(keys)


@cache
def record_links(record_model: type[models.Model]) -> tuple[Link, ...]:
    """Every link to `record_model`, in a fixed order (by model label, then column): rows are
    locked in this order by every merge, so two merges never wait on each other in a circle."""
    links: list[Link] = []
    for relation in record_model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        if relation.many_to_many:
            # Covered by the through model's own foreign key, which is a relation of its own.
            continue
        field = relation.field
        keys = unique_keys_over(relation.related_model, {field.name})
        if field.unique:
            keys = ((), *keys)
        links.append(
            Link(
                model=relation.related_model,
                column=field.attname,
                label=str(field.verbose_name),
                protects=relation.on_delete is models.PROTECT,
                unique_keys=keys,
            )
        )
    for model in apps.get_models():
        for private in model._meta.private_fields:
            if isinstance(private, GenericForeignKey):
                type_column = model._meta.get_field(private.ct_field).attname
                column = model._meta.get_field(private.fk_field).attname
                links.append(
                    Link(
                        model=model,
                        column=column,
                        label=str(model._meta.verbose_name_plural),
                        generic_type_column=type_column,
                        unique_keys=unique_keys_over(model, {private.fk_field}),
                    )
                )
    return tuple(sorted(links, key=lambda link: (link.model._meta.label, link.column)))


def links_by_model(
    record_model: type[models.Model],
) -> list[tuple[type[models.Model], tuple[Link, ...]]]:
    """`record_links` grouped by the model holding them, in the same fixed order."""
    grouped: dict[type[models.Model], list[Link]] = {}
    for link in record_links(record_model):
        grouped.setdefault(link.model, []).append(link)
    return [(model, tuple(links)) for model, links in grouped.items()]
