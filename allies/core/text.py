"""Text normalisation: email addresses, and French search (no accents, no case, no plurals)."""

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
# Words too common to help find a product; dropped from queries, not from documents.
STOP_WORDS = frozenset(
    "a au aux avec d de des du en et l la le les pour sur un une the for with and of".split()
)


def normalize_email(email: str) -> str:
    """One account per email whatever its case: addresses are stored lower-cased."""
    return (email or "").strip().lower()


def fold(text: str) -> str:
    """Lower-case and strip accents: "Étui" -> "etui", "Œillet" -> "oeillet"."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light French stemmer: enough for plurals ("chemises", "chapeaux", "travaux")."""
    if len(word) > 3 and word.endswith(("eaux", "eux")):
        return word[:-1]
    if len(word) > 4 and word.endswith("aux"):
        return word[:-3] + "al"
    if len(word) > 3 and word[-1] in "sx" and not word.endswith("ss"):
        return word[:-1]
    return word


def search_terms(text: str) -> list[str]:
    """The normalised words of a text, in order, as stored and as searched."""
    return [stem(w) for w in _WORD.findall(fold(text))]


def query_terms(text: str) -> list[str]:
    """The terms of a search query: normalised, without stop words, without repeats."""
    terms = [t for t in search_terms(text) if t not in STOP_WORDS]
    return list(dict.fromkeys(terms))


def search_document(*parts: str) -> str:
    """One space-padded string of terms, so that " term" matches a word start."""
    return " " + " ".join(t for part in parts for t in search_terms(part or "")) + " "
