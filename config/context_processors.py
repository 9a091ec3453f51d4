"""Template context every page gets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True, slots=True)
class UrgentHelp:
    """Where to get help now (settings EMERGENCY_NUMBER, URGENT_CARE_NUMBER and
    URGENT_CARE_URL), with each number as a `tel:` link dials it."""

    emergency_number: str
    urgent_care_number: str
    urgent_care_url: str

    @property
    def emergency_tel(self) -> str:
        return _tel(self.emergency_number)

    @property
    def urgent_care_tel(self) -> str:
        return _tel(self.urgent_care_number)


def _tel(number: str) -> str:
    return re.sub(r"[^0-9+]", "", number)


def urgent_help(request: HttpRequest) -> dict[str, UrgentHelp]:
    return {
        "urgent_help": UrgentHelp(
            emergency_number=settings.EMERGENCY_NUMBER,
            urgent_care_number=settings.URGENT_CARE_NUMBER,
            urgent_care_url=settings.URGENT_CARE_URL,
        )
    }
