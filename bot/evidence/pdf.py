"""Her record as a dated, paginated PDF in her language: a cover saying what the document is, a table
of the entries, then each entry in full.

fpdf2 lays the text out; its text shaping (uharfbuzz) joins Arabic letters right to left and forms
Devanagari conjuncts and vowel signs. The fonts are Debian's Noto (fonts-noto-core, installed by
scripts/ensure-fonts): Noto Sans for Latin, with Noto Sans Arabic and Noto Sans Devanagari as
fallbacks, so a line mixing scripts (a handle in Latin letters in an Arabic entry) renders whole.
The title and file name are neutral ("Personal notes"): nothing alarming on a screen or in a
downloads list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from fpdf import FPDF
from fpdf.fonts import TTFFont

from bot.evidence.record import Entry

FONTS = Path("/usr/share/fonts/truetype/noto")
FACES = {"sans": "NotoSans", "arabic": "NotoSansArabic", "devanagari": "NotoSansDevanagari"}
RIGHT_TO_LEFT = frozenset({"ar"})
WORD_JOINER = 0x2060
TABLE_CHARS = 70  # of what happened, in the table of entries

Label = Callable[[str], str]  # a label of the `record` group in her language


class FontsMissing(RuntimeError):
    """The Noto fonts are not installed (scripts/ensure-fonts installs them)."""


def file_name(made: date) -> str:
    return f"notes-{made.isoformat()}.pdf"


def record_pdf(
    entries: Sequence[Entry],
    *,
    language: str,
    label: Label,
    platform: Callable[[str], str],
    made: datetime,
) -> bytes:
    """The PDF of her entries, labelled in her language (`label`: the `record` labels; `platform`: a
    platform's name)."""
    pdf = _Document(language, label)
    pdf.add_page()
    pdf.heading(label("title"), size=18)
    pdf.paragraph(label("intro").format(date=format_date(made.date(), "long", locale=language)))
    pdf.paragraph(label("count").format(count=len(entries)))
    pdf.heading(label("entries"), size=14)
    for number, entry in enumerate(entries, 1):
        what = entry.what if len(entry.what) <= TABLE_CHARS else entry.what[: TABLE_CHARS - 1] + "…"
        pdf.paragraph(f"{number}. {_day(entry, language)} · {_where(entry, platform)} · {what}")
    for number, entry in enumerate(entries, 1):
        pdf.add_page()
        pdf.heading(label("entry").format(number=number), size=14)
        for name, value in _fields(entry, language, label, platform):
            pdf.field(label(name), value)
    return bytes(pdf.output())


def _fields(
    entry: Entry, language: str, label: Label, platform: Callable[[str], str]
) -> list[tuple[str, str]]:
    files = [f"{label(kept.kind)}, {_utc(kept.at, language)}" for kept in entry.files]
    shots = {True: label("yes"), False: label("no"), None: ""}[entry.screenshots]
    when = _day(entry, language)
    if entry.day and entry.when:
        when = f"{when} ({entry.when})"
    return [
        ("when", when),
        ("where", _where(entry, platform)),
        ("who", entry.who),
        ("what", entry.what),
        ("links", "\n".join(entry.links)),
        ("screenshots", shots),
        ("files", "\n".join(files)),
        ("written", _utc(entry.written_at, language)),
    ]


def _utc(at: float, language: str) -> str:
    return f"{format_datetime(datetime.fromtimestamp(at, UTC), 'medium', locale=language)} UTC"


def _day(entry: Entry, language: str) -> str:
    return format_date(date.fromisoformat(entry.day), "long", locale=language) if entry.day else entry.when


def _where(entry: Entry, platform: Callable[[str], str]) -> str:
    return platform(entry.platform) if entry.platform else entry.where


class _Document(FPDF):
    """An A4 page with her language's fonts and direction, and "page n of m" at the foot."""

    def __init__(self, language: str, label: Label) -> None:
        super().__init__(format="A4")
        missing = [face for face in FACES.values() if not (FONTS / f"{face}-Regular.ttf").exists()]
        if missing:
            raise FontsMissing(f"fonts not installed: {', '.join(missing)} (run scripts/ensure-fonts)")
        for family, face in FACES.items():
            self.add_font(family, fname=FONTS / f"{face}-Regular.ttf")
            self.add_font(family, style="B", fname=FONTS / f"{face}-Bold.ttf")
        self._align = "R" if language in RIGHT_TO_LEFT else "L"
        self._label = label
        first = {"ar": "arabic", "hi": "devanagari"}.get(language, "sans")
        self._family = first
        self.set_fallback_fonts([f for f in FACES if f != first])
        self.set_text_shaping(
            use_shaping_engine=True, direction="rtl" if language in RIGHT_TO_LEFT else "ltr"
        )
        self.set_title(label("title"))
        self.set_creator("")
        self.set_producer("")
        self.set_auto_page_break(auto=True, margin=18)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self._family, size=9)
        pages = self._label("page").format(page=self.page_no(), pages="{nb}")
        self.cell(0, 8, pages, align="C")
        self._join_clusters()  # the footer is a page's last text, and the last page's is the document's

    def _join_clusters(self) -> None:
        """Every glyph of a shaped cluster after its first gets the text WORD JOINER (invisible):
        fpdf2 gives the cluster's text to its first glyph and none to the rest, which a reader would
        extract as a stray character ("दि\"संबर" for "दिसंबर")."""
        for font in self.fonts.values():
            if isinstance(font, TTFFont):
                for glyph, _ in font.subset.items():
                    if glyph is not None and glyph.unicode == ():
                        glyph.unicode = (WORD_JOINER,)

    def heading(self, text: str, *, size: int) -> None:
        self.set_font(self._family, style="B", size=size)
        self.multi_cell(0, size * 0.6, text, align=self._align, new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def paragraph(self, text: str) -> None:
        self.set_font(self._family, size=11)
        self.multi_cell(0, 6, text, align=self._align, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def field(self, name: str, value: str) -> None:
        if not value:
            return
        self.set_font(self._family, style="B", size=10)
        self.multi_cell(0, 6, name, align=self._align, new_x="LMARGIN", new_y="NEXT")
        self.paragraph(value)
