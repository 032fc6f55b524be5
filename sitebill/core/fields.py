"""Model fields for money (2 places, up to 999,999,999,999.99) and rates (up to 4 places)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

#: A MoneyField holds 14 digits with 2 places: every stored amount is below this.
MAX_STORED_AMOUNT = Decimal("1E12")


class MoneyField(models.DecimalField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class RateField(models.DecimalField):
    """A percentage: Decimal("10.0000") is 10%."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)
