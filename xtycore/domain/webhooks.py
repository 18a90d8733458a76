"""An inbound HTTP callback, exactly as it arrived, for any capability's parse step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class WebhookRequest:
    """A callback exactly as it arrived: signatures cover the raw ``body``."""

    body: bytes
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str = "") -> str:
        """A header by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default
