"""Ordered lists shared by the set-up workflows — inclusion criteria and the three levels of an
interview guide (domain → question → prompt) — and the check every set-up text goes through.

Positions stay 1..n after every change: each change locks the list's owner row, so two people
adding to the same list at once cannot both take the same position.
"""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import models

Direction = Literal["up", "down"]


def lock(owner: models.Model) -> None:
    """Hold the row that owns a list until the transaction ends."""
    list(type(owner).objects.select_for_update().filter(pk=owner.pk).values_list("pk"))


def ordered(model: type[models.Model], **owner) -> list:
    return list(model.objects.select_for_update().filter(**owner).order_by("position", "pk"))


def renumber(items: list) -> None:
    """Positions 1..n in the list's order, writing only the rows whose position moves."""
    moved = []
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            moved.append(item)
    if moved:
        type(moved[0]).objects.bulk_update(moved, ["position"])


def move(siblings: list, item: models.Model, direction: Direction) -> tuple[int, int] | None:
    """Swap the item with its neighbour; the old and new positions, or None at either end."""
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return None
    siblings[index], siblings[other] = siblings[other], siblings[index]
    renumber(siblings)
    item.position = other + 1
    return index + 1, other + 1


def clean_text(value: str, *, max_length: int, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError(f"The {what} needs some text.")
    if len(value) > max_length:
        raise ValidationError(f"The {what} can be at most {max_length} characters long.")
    return value
