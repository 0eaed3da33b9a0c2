"""The rules a review (or a vendor's answer) must pass before it is shown (SITE-3).

Two kinds of rules:
- bounds (`text_bounds_errors`): a text too short or too long is refused at once with a
  clear message, nothing is stored;
- content (`content_problems`): a link, an e-mail address or an insult holds the review for
  staff ("En attente de modération") instead of publishing it. A vendor's answer is refused
  outright (it can be rewritten at once).

The insult list is ours, short and deliberately plain (French and English); matching is done
on whole words after removing accents and case, so "connard" matches "Connard !" but not
"déconnarde" … and "con" is left out on purpose (it is part of too many honest words).
"""

import re
import unicodedata

from django.utils.translation import gettext as _

TITLE_MAX = 120
TEXT_MIN = 10
TEXT_MAX = 3000
ANSWER_MIN = 2
ANSWER_MAX = 2000

# Whole words, written without accents, lower case.
INSULTS_FR = frozenset(
    {
        "connard", "connards", "connasse", "connasses", "salaud", "salauds", "salope",
        "salopes", "encule", "encules", "batard", "batards", "merdeux", "merdeuse",
        "abruti", "abrutis", "abrutie", "debile", "debiles", "cretin", "cretins", "cretine",
        "pute", "putes", "putain", "bouffon", "bouffons", "escroc", "escrocs", "voleur",
        "voleurs", "voleuse", "nazi", "nazis", "pd", "tarlouze", "negro", "bougnoule",
        "youpin", "enfoire", "enfoires", "ordure", "ordures", "fdp", "ntm", "tg",
    }
)  # fmt: skip
INSULTS_EN = frozenset(
    {
        "asshole", "assholes", "bastard", "bastards", "bitch", "bitches", "fuck", "fucking",
        "fucker", "motherfucker", "shit", "shitty", "idiot", "idiots", "moron", "morons",
        "retard", "retarded", "scammer", "scammers", "dickhead", "cunt", "wanker", "slut",
        "whore", "nigger", "faggot", "stfu",
    }
)  # fmt: skip
INSULTS = INSULTS_FR | INSULTS_EN

_URL = re.compile(
    r"(https?://|www\.|\b[a-z0-9-]+\.(com|fr|be|net|org|io|co|eu|info|biz|shop|store|xyz|ly)"
    r"\b|[\w.+-]+@[\w-]+\.[\w.]+)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def has_link(text: str) -> bool:
    return bool(_URL.search(_plain(text)))


def has_insult(text: str) -> bool:
    return any(word in INSULTS for word in _WORD.findall(_plain(text)))


def text_bounds_errors(
    *, text: str, title: str = "", minimum: int = TEXT_MIN, maximum: int = TEXT_MAX
) -> list[str]:
    """Messages for a text outside its bounds (empty list: within)."""
    errors = []
    length = len(text.strip())
    if length < minimum:
        errors.append(_("Votre texte est trop court : au moins %(n)s caractères.") % {"n": minimum})
    elif length > maximum:
        errors.append(
            _("Votre texte est trop long : au plus %(n)s caractères (%(length)s saisis).")
            % {"n": maximum, "length": length}
        )
    if len(title.strip()) > TITLE_MAX:
        errors.append(_("Le titre est trop long : au plus %(n)s caractères.") % {"n": TITLE_MAX})
    return errors


def content_problems(*texts: str) -> list[str]:
    """Why these texts may not be shown without a moderator (empty list: they may)."""
    problems = []
    if any(has_link(text) for text in texts):
        problems.append(_("Les liens et adresses e-mail ne sont pas autorisés dans un avis."))
    if any(has_insult(text) for text in texts):
        problems.append(_("Le texte contient des propos injurieux."))
    return problems
