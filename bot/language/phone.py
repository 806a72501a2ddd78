"""The country of a phone address: a hint for language and for which numbers to show."""

from __future__ import annotations

import phonenumbers


def country_of_phone(address: str) -> str | None:
    """ISO region of '+2547…', 'whatsapp:+2547…' or a WhatsApp wa_id '2547…'; None if not a phone."""
    number = address.removeprefix("whatsapp:")
    if not number.lstrip("+").isdigit():
        return None
    try:
        parsed = phonenumbers.parse(number if number.startswith("+") else f"+{number}")
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region if region and region != "ZZ" else None
