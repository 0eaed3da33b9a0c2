"""The answers' small markup: safe to render, checked before it is saved.

    Un paragraphe, avec du **gras** et un lien [[lien:orders:purchases|vers Mes achats]].

    - une liste à puces
    - dont chaque ligne commence par « - »
    1. ou une liste numérotée

    Le délai : {{delai:retractation}}. Écrivez-nous à {{valeur:email_service_client}}.

Blank lines separate paragraphs; lines starting with "- " or "1. " make lists. Links name one
of our own pages (`LINKS`, reversed in the answer's language); delays and values are tokens
of `allies.helpcenter.delays`. Everything else is escaped: an answer cannot carry HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from allies.helpcenter.delays import DELAYS, UNIT_FAMILY, VALUES

# The pages an answer may link to: customer-facing pages that need no argument.
LINKS: dict[str, str] = {
    "storefront:home": "Accueil",
    "storefront:search": "Tous les produits",
    "accounts:home": "Mon compte (Mes informations)",
    "accounts:sign_up": "Créer un compte",
    "accounts:login": "Se connecter",
    "accounts:password_reset": "Mot de passe oublié",
    "accounts:settings": "Paramètres de compte",
    "accounts:newsletter": "Mes abonnements aux offres",
    "accounts:addresses": "Mes adresses",
    "accounts:deactivate": "Désactiver mon compte",
    "orders:purchases": "Mes achats",
    "support:threads": "Mes demandes",
    "support:contact": "Formulaire de contact",
    "cart:detail": "Panier",
    "helpcenter:home": "Centre d'aide",
}

_LINK = r"\[\[lien:(?P<link>[^|\]\n]*)\|(?P<text>[^\]\n]*)\]\]"
_TOKEN = r"\{\{(?P<kind>delai|valeur):(?P<key>[^}\n]*)\}\}"
_BOLD = r"\*\*(?P<bold>[^*\n]+)\*\*"
INLINE = re.compile(f"{_LINK}|{_TOKEN}|{_BOLD}")
_ANY_TOKEN = re.compile(r"\[\[.*?\]\]|\{\{.*?\}\}")
_BULLET = re.compile(r"^\s*[-•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")

# A delay typed as text: a number (digits or words) followed by a unit of time.
_NUMBER_WORDS = {
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "dix": 10, "douze": 12,
    "quatorze": 14, "quinze": 15, "trente": 30, "vingt-quatre": 24, "quarante-huit": 48,
    "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "ten": 10, "twelve": 12,
    "fourteen": 14, "fifteen": 15, "thirty": 30, "twenty-four": 24, "forty-eight": 48,
}  # fmt: skip
_UNIT_WORDS = {
    "jour": "days", "jours": "days", "day": "days", "days": "days",
    "heure": "hours", "heures": "hours", "h": "hours", "hr": "hours", "hrs": "hours",
    "hour": "hours", "hours": "hours",
    "semaine": "weeks", "semaines": "weeks", "week": "weeks", "weeks": "weeks",
    "mois": "months", "month": "months", "months": "months",
    "minute": "minutes", "minutes": "minutes", "min": "minutes",
}  # fmt: skip
_NUMBER = r"\d+(?:[.,]\d+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_UNIT = "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
LITERAL_DELAY = re.compile(
    rf"(?<![\w-])(?P<number>{_NUMBER})[\s\u00a0\u202f]*(?P<unit>{_UNIT})(?![\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LiteralDelay:
    text: str
    number: int | None
    family: str


# --- checking -------------------------------------------------------------------------------


def literal_delays(text: str) -> list[LiteralDelay]:
    """The delays typed as text outside tokens ("14 jours", "48h", "quatorze jours")."""
    outside = _ANY_TOKEN.sub(" ", text)
    found = []
    for match in LITERAL_DELAY.finditer(outside):
        raw = match.group("number").lower()
        number = int(raw) if raw.isdigit() and raw.isascii() else _NUMBER_WORDS.get(raw)
        found.append(LiteralDelay(match.group(0), number, _UNIT_WORDS[match.group("unit").lower()]))
    return found


def _suggestion(delay: LiteralDelay) -> str:
    keys = [
        f"{{{{delai:{d.key}}}}}"
        for d in DELAYS.values()
        if UNIT_FAMILY[d.unit] == delay.family
        and (delay.number is None or d.value() == delay.number)
    ]
    if keys:
        return _("utilisez le jeton %(tokens)s") % {"tokens": _(" ou ").join(keys)}
    return _("utilisez un des jetons de délai listés sous le formulaire")


def markup_errors(text: str) -> list[str]:
    """What is wrong with an answer's text, in French (empty when it may be saved)."""
    errors: list[str] = []
    for delay in literal_delays(text):
        errors.append(
            _("« %(text)s » : n'écrivez jamais un délai en chiffres, %(how)s.")
            % {"text": delay.text, "how": _suggestion(delay)}
        )
    for match in INLINE.finditer(text):
        if match.group("link") is not None:
            name = match.group("link").strip()
            if name not in LINKS:
                errors.append(
                    _("Lien « %(name)s » inconnu : choisissez une page de la liste des liens.")
                    % {"name": name}
                )
            if not match.group("text").strip():
                errors.append(_("Le lien « %(name)s » n'a pas de texte.") % {"name": name})
        elif match.group("kind") is not None:
            kind, key = match.group("kind"), match.group("key").strip()
            table: dict = DELAYS if kind == "delai" else VALUES
            if key not in table:
                errors.append(
                    _("Jeton « %(token)s » inconnu : choisissez-en un dans la liste.")
                    % {"token": match.group(0)}
                )
    leftover = INLINE.sub(" ", text)
    for marker in ("[[", "]]", "{{", "}}"):
        if marker in leftover:
            errors.append(
                _(
                    "« %(marker)s » ne ferme ou n'ouvre aucun lien ou jeton valide : écrivez "
                    "[[lien:nom|texte]] ou {{delai:nom}}."
                )
                % {"marker": marker}
            )
            break
    return list(dict.fromkeys(errors))


# --- rendering ------------------------------------------------------------------------------


def _link_url(name: str, lang: str) -> str | None:
    if name not in LINKS:
        return None
    with translation.override(lang):
        try:
            return reverse(name)
        except NoReverseMatch:
            return None


def _inline(text: str, *, lang: str, html: bool) -> str:
    out: list[str] = []
    pos = 0
    for match in INLINE.finditer(text):
        out.append(escape(text[pos : match.start()]) if html else text[pos : match.start()])
        pos = match.end()
        if match.group("link") is not None:
            label = match.group("text")
            url = _link_url(match.group("link").strip(), lang)
            if not html:
                out.append(label)
            elif url is None:
                out.append(escape(label))
            else:
                out.append(f'<a href="{escape(url)}">{escape(label)}</a>')
        elif match.group("kind") is not None:
            kind, key = match.group("kind"), match.group("key").strip()
            if kind == "delai" and key in DELAYS:
                value = DELAYS[key].text(lang)
                out.append(f'<span class="hc-delay">{escape(value)}</span>' if html else value)
            elif kind == "valeur" and key in VALUES:
                item = VALUES[key]
                value = item.source()
                if html and item.is_email:
                    out.append(f'<a href="mailto:{escape(value)}">{escape(value)}</a>')
                else:
                    out.append(escape(value) if html else value)
            else:
                out.append(escape(match.group(0)) if html else match.group(0))
        else:
            inner = _inline(match.group("bold"), lang=lang, html=html)
            out.append(f"<strong>{inner}</strong>" if html else inner)
    out.append(escape(text[pos:]) if html else text[pos:])
    return "".join(out)


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """("p", [lines]) / ("ul", [items]) / ("ol", [items]), in order."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            blocks.append(("", []))
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet:
            kind, body = "ul", bullet.group(1)
        elif numbered:
            kind, body = "ol", numbered.group(1)
        else:
            kind, body = "p", line.strip()
        if blocks and blocks[-1][0] == kind:
            blocks[-1][1].append(body)
        else:
            blocks.append((kind, [body]))
    return [b for b in blocks if b[0]]


def render_html(text: str, *, lang: str) -> SafeString:
    parts = []
    for kind, lines in _blocks(text):
        if kind == "p":
            parts.append(f"<p>{_inline(' '.join(lines), lang=lang, html=True)}</p>")
        else:
            items = "".join(f"<li>{_inline(item, lang=lang, html=True)}</li>" for item in lines)
            parts.append(f"<{kind}>{items}</{kind}>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every piece of text is escaped above


def render_text(text: str, *, lang: str) -> str:
    """The answer as plain text (search documents, excerpts): tokens resolved, no markup."""
    return " ".join(
        _inline(" ".join(lines), lang=lang, html=False) for _kind, lines in _blocks(text)
    )
