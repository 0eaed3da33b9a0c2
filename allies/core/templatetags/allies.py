"""Template filters used across the site (built in to every template)."""

from django import template
from django.utils.translation import get_language

from allies.core.countries import country_label
from allies.core.money import format_eur
from allies.core.world_countries import world_country_label

register = template.Library()


@register.filter
def eur(amount) -> str:
    """Format a Decimal amount in euros for the active language: 49,90 € / €49.90."""
    return format_eur(amount, language=get_language() or "fr")


@register.filter
def country_name(code: str) -> str:
    """ "FR" → "France", "BE" → "Belgique", in the active language."""
    return country_label(code)


@register.filter
def world_country_name(code: str) -> str:
    """Any ISO 3166-1 country: "DE" → "Allemagne" / "Germany" (nationality, place of birth)."""
    return world_country_label(code)


@register.filter
def range_to(count) -> range:
    """1…count, for a quantity selector (`{% for n in max|range_to %}`); empty on bad input."""
    try:
        return range(1, min(int(count), 99) + 1)
    except (TypeError, ValueError):
        return range(0)
