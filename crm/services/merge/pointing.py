"""The rows that point at merged records: locked, de-duplicated where a unique constraint
says so, and re-pointed at the master (see crm.services.merge)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from crm.links import Link, links_by_model

type PointingRows = tuple[type[models.Model], tuple[Link, ...], list[dict[str, Any]]]


def lock_pointing_rows(model: type[models.Model], ids: list[int]) -> list[PointingRows]:
    """Lock, table by table and in id order, every row that points at one of the records,
    reading the columns the merge decides on (the links and their unique keys)."""
    locked = []
    for link_model, links in links_by_model(model):
        pointing = models.Q()
        columns = {"pk"}
        for link in links:
            pointing |= link.pointing_at(model, ids)
            columns.update([link.column, *(column for key in link.unique_keys for column in key)])
            if link.generic_type_column:
                columns.add(link.generic_type_column)
        rows = list(
            link_model._base_manager.select_for_update()
            .filter(pointing)
            .order_by("pk")
            .values(*sorted(columns))
        )
        locked.append((link_model, links, rows))
    return locked


def repoint(
    model: type[models.Model],
    pointing: PointingRows,
    *,
    master_id: int,
    other_ids: list[int],
    labels: dict[int, str],
) -> tuple[list[tuple[str, int]], list[str]]:
    """Drop the others' rows a unique constraint keeps from moving, re-point the rest at the
    master. Returns what moved, per link ("contacts (Account Name)", 3), and what was dropped.
    A link with no row to move costs no query."""
    link_model, links, rows = pointing
    moved_counts: list[tuple[str, int]] = []
    dropped = _duplicates(model, links, rows, master_id, other_ids)
    described = _drop(link_model, dropped, labels) if dropped else []
    for link in links:
        if not any(
            row["pk"] not in dropped and _points_at(link, model, row, other_ids) for row in rows
        ):
            continue
        moved = (
            link_model._base_manager.filter(link.pointing_at(model, other_ids))
            .exclude(pk__in=dropped)
            .update(**{link.column: master_id})
        )
        if moved:
            moved_counts.append((link.title(moved), moved))
    return moved_counts, described


def _points_at(link: Link, model: type[models.Model], row: dict[str, Any], ids: list[int]) -> bool:
    if link.generic_type_column:
        content_type = ContentType.objects.get_for_model(model)
        if row[link.generic_type_column] != content_type.pk:
            return False
    return row[link.column] in ids


def _duplicates(
    model: type[models.Model],
    links: tuple[Link, ...],
    rows: list[dict[str, Any]],
    master_id: int,
    other_ids: list[int],
) -> dict[int, tuple[Link, int]]:
    """The rows that can't move to the master: a unique constraint over the link already has
    a row for the same key there (the master's own first, then the others' in the order
    given). Returns row id -> (the link, the merged record it pointed at)."""
    dropped: dict[int, tuple[Link, int]] = {}
    order = {pk: index for index, pk in enumerate(other_ids)}
    for link in links:
        for key in link.unique_keys:
            taken = {
                tuple(row[column] for column in key)
                for row in rows
                if _points_at(link, model, row, [master_id])
            }
            moving = sorted(
                (row for row in rows if _points_at(link, model, row, other_ids)),
                key=lambda row, link=link: (order[row[link.column]], row["pk"]),
            )
            for row in moving:
                values = tuple(row[column] for column in key)
                if row["pk"] in dropped or None in values:
                    continue  # NULLs never collide in a unique constraint
                if values in taken:
                    dropped[row["pk"]] = (link, row[link.column])
                else:
                    taken.add(values)
    return dropped


def _drop(
    link_model: type[models.Model], dropped: dict[int, tuple[Link, int]], labels: dict[int, str]
) -> list[str]:
    """Delete the rows that can't move, saying what each one was."""
    described = []
    for row in link_model._base_manager.filter(pk__in=dropped).order_by("pk"):
        link, record_id = dropped[row.pk]
        described.append(
            f"the {link.singular} “{row}” of {labels[record_id]} ({link.label}); "
            "the master keeps its own"
        )
    link_model._base_manager.filter(pk__in=dropped).delete()
    return described
