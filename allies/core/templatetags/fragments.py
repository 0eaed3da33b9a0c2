"""`{% memo "name" [value …] %}…{% endmemo %}`: a fragment rendered once per process.

For the parts every page repeats: the layout's promises bar, footer, chat bubble and category
menu, a listing's grid of product cards, an offer's shipping table. Their HTML is kept in
this process, keyed by the name, the active language (links and texts are per language) and
the values given after the name, which must be everything the fragment shows that can change
(a grid: its products' ids, slugs, titles, brands, prices, availabilities and counts; the
menu: its rows and the current category). Since the key is the data, a fragment is never
stale: a changed price is a new key (the old entry is dropped with the others when the memo
is full). A fragment must not show anything personal (the user, the cart, a CSRF token,
messages): what it renders first is what every visitor of that key then sees. Settings
changed by tests empty the memo.

Rendering these parts each time cost ~2.5 ms of a ~8 ms product page (bench/page_profile.py);
a memo hit costs building its key and a dictionary lookup."""

from __future__ import annotations

from dataclasses import is_dataclass
from datetime import date, datetime
from decimal import Decimal

from django import template
from django.core.signals import setting_changed
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Bounded: when full, every entry is dropped (the next renders refill it).
MAX_ENTRIES = 20_000
_fragments: dict[tuple, SafeString] = {}


def memo_clear(**_kwargs) -> None:
    _fragments.clear()


setting_changed.connect(memo_clear, dispatch_uid="allies.core.fragments.memo_clear")


_PLAIN = (int, str, bool, type(None), Decimal, date)  # datetime is a date
# Frozen dataclasses whose first instance had only plain fields: their class fixes what
# their fields hold (its annotations), so later instances are taken as they are.
_FROZEN_PLAIN: set[type] = set()
_EXACT = frozenset(_PLAIN) | {datetime}


def _freeze(value):
    """A hashable form of a key value: plain values, lazy texts (as the active language says
    them), and lists, dicts and dataclasses of those (the menu's rows, a shipping table). Anything
    else is refused: a model instance's str() would not say what the fragment shows."""
    kind = type(value)
    if kind in _EXACT:
        return value
    if kind is list or kind is tuple:
        return tuple(map(_freeze, value))
    if kind is dict:
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, Promise):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        if kind in _FROZEN_PLAIN:
            return value
        fields = tuple(_freeze(getattr(value, name)) for name in value.__dataclass_fields__)
        if not value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return fields
        # A frozen dataclass whose fields passed (a shipping table's row) is its own key from
        # now on: hashed and compared by its fields and its class, without walking them again
        # (a page's shipping tables cost 0.26 ms to walk, 0.04 ms to hash).
        _FROZEN_PLAIN.add(kind)
        return value
    if isinstance(value, _PLAIN):  # subclasses: SafeString, IntEnum…
        return value
    raise TypeError(f"{{% memo %}} cannot key on a {kind.__name__}: give its fields")


class MemoNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, vary: list) -> None:
        self.nodelist = nodelist
        self.name = name
        self.vary = vary

    def render(self, context) -> str:
        key = (
            self.name,
            get_language(),
            *(_freeze(v.resolve(context)) for v in self.vary),
        )
        html = _fragments.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))  # noqa: S308 (the template's own output)
            if len(_fragments) >= MAX_ENTRIES:
                _fragments.clear()
            _fragments[key] = html
        return html


@register.tag("memo")
def do_memo(parser, token) -> MemoNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("{% memo %} takes a quoted name, then key values")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, bits[1][1:-1], [parser.compile_filter(b) for b in bits[2:]])
