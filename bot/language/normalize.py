"""Text normalisation applied alike to training data, live messages, keywords and vocabularies.

Arabic is written with many interchangeable forms: alef with or without hamza or madda, final ya
as alef maqsura, ta marbuta as ha, decorative tatweel, optional diacritics, Persian letter shapes on
some keyboards. People mix them freely; folding them makes one spelling of a word match all others.
NFKC first turns presentation forms (and full-width Latin) into ordinary letters.
"""

from __future__ import annotations

import re
import unicodedata

_ARABIC_FOLDS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ی": "ي",  # Persian ye
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ک": "ك",  # Persian kaf
        "ـ": None,  # tatweel
    }
)
_ARABIC_DIACRITICS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_FOLDS)


def fold(text: str) -> str:
    """How names are compared: lowercase, Arabic forms folded, Latin accents dropped, apostrophes and
    hyphens as spaces ("Côte d'Ivoire" is "cote d ivoire")."""
    text = normalize(text).lower().replace("’", " ").replace("'", " ").replace("-", " ")
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and kept and kept[-1] < "\u0250":
            continue  # an accent on a Latin letter: "méxico" is typed "mexico"
        kept.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def tokens(text: str) -> list[str]:
    """The normalised, lowercased words of a text in order, repeats kept, numbers left out."""
    return [w for w in re.findall(r"\w+", normalize(text).lower()) if not w.isdigit()]


def words(text: str) -> set[str]:
    """The normalised, lowercased words of a text, numbers left out."""
    return set(tokens(text))
