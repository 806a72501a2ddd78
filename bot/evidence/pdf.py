"""Her record as a PDF in her language: a cover saying what the document is, a table of entries,
each entry in full with its times and fingerprints, and page numbers.

fpdf2 with HarfBuzz shaping (uharfbuzz) lays out Arabic right to left with its joined letter forms,
and Devanagari with its conjuncts and vowel signs; a ToUnicode map keeps the text extractable as
what she wrote. Fonts: Debian's Noto (fonts-noto-core), which scripts/ensure-fonts installs. The
title and file name are neutral ("Notes"): the document may be seen on her phone.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.evidence.model import PARTS, Entry, Part

FONTS = Path(os.environ.get("SAFESPACES_FONTS", "/usr/share/fonts/truetype/noto"))
LATIN, ARABIC, DEVANAGARI = "NotoSans", "NotoSansArabic", "NotoSansDevanagari"
# Her language's script first; the others fill in what it lacks (a Latin handle in Arabic text).
SCRIPT_FONTS = {"ar": (ARABIC, LATIN, DEVANAGARI), "hi": (DEVANAGARI, LATIN, ARABIC)}
RTL = frozenset({"ar"})
TEXT_SIZE, TITLE_SIZE, HEADING_SIZE = 11, 20, 13
LINE = 6.0


class FontsMissing(RuntimeError):
    """The Noto fonts are not installed (scripts/ensure-fonts)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Wording:
    """The document's words in her language (from the catalogs) and how dates are written."""

    say: Callable[..., str]  # a response key and its fields -> the text in her language
    date: Callable[[dt.date], str]
    moment: Callable[[float], str]  # epoch seconds -> date and time
    when: Callable[[Entry], str]
    part: Callable[[Part], str]  # "When", "Where", ... in her language


def file_name(day: dt.date) -> str:
    return f"notes-{day.isoformat()}.pdf"


class _Document(FPDF):
    def __init__(self, language: str, page_label: Callable[[int, int], str], total: int) -> None:
        super().__init__(format="A4")
        self.language = language
        self._page_label = page_label
        self._total = total
        fonts = SCRIPT_FONTS.get(language, (LATIN, ARABIC, DEVANAGARI))
        for family in fonts:
            path = FONTS / f"{family}-Regular.ttf"
            if not path.exists():
                raise FontsMissing(f"{path} is missing: run scripts/ensure-fonts")
            self.add_font(family, fname=str(path))
        self.set_font(fonts[0], size=TEXT_SIZE)
        self.set_fallback_fonts(list(fonts[1:]))
        self.set_text_shaping(use_shaping_engine=True)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title("Notes")
        self.set_creator("")

    @property
    def align(self) -> str:
        return "R" if self.language in RTL else "L"

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font_size(9)
        self.cell(0, 8, self._page_label(self.page_no(), self._total), align="C")
        self.set_font_size(TEXT_SIZE)

    def paragraph(self, text: str, size: float = TEXT_SIZE) -> None:
        self.set_font_size(size)
        self.multi_cell(
            0, LINE * size / TEXT_SIZE, text, align=self.align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.set_font_size(TEXT_SIZE)


def render_pdf(entries: Sequence[Entry], *, language: str, wording: Wording, today: dt.date) -> bytes:
    """The whole record; laid out twice so each page can say how many pages there are."""
    total = _layout(entries, language, wording, today, total=0).pages_count
    return bytes(_layout(entries, language, wording, today, total=total).output())


def _layout(entries: Sequence[Entry], language: str, wording: Wording, today: dt.date, *, total: int) -> Any:
    say = wording.say
    pdf = _Document(language, lambda page, pages: say("record_pdf_page", page=page, pages=pages), total)
    pdf.add_page()
    pdf.paragraph(say("record_pdf_title"), TITLE_SIZE)
    pdf.ln(2)
    pdf.paragraph(say("record_pdf_cover", date=wording.date(today), count=len(entries)))
    pdf.ln(4)
    pdf.paragraph(say("record_pdf_contents"), HEADING_SIZE)
    not_said = say("record_not_said")
    for entry in entries:
        pdf.paragraph(
            say(
                "record_line",
                number=entry.number,
                when=wording.when(entry) or not_said,
                where=entry.where or not_said,
                what=_short(entry.what) or not_said,
            )
        )
    for entry in entries:
        pdf.add_page()
        _entry(pdf, entry, wording, not_said)
    return pdf


def _entry(pdf: _Document, entry: Entry, wording: Wording, not_said: str) -> None:
    say = wording.say
    pdf.paragraph(say("record_pdf_entry", number=entry.number), HEADING_SIZE)
    written, changed = wording.moment(entry.written_at), wording.moment(entry.changed_at)
    pdf.paragraph(say("record_pdf_times", written=written, changed=changed))
    pdf.ln(2)
    kept = {True: say("record_pdf_yes"), False: say("record_pdf_no"), None: not_said}[entry.kept_screenshots]
    values = {
        Part.WHEN: wording.when(entry),
        Part.WHERE: entry.where,
        Part.WHO: entry.who,
        Part.WHAT: entry.what,
        Part.LINKS: "\n".join(entry.links),
        Part.SCREENSHOTS: kept,
    }
    for part in PARTS:
        pdf.paragraph(say("record_pdf_part", part=wording.part(part), value=values[part] or not_said))
    for shot in entry.screenshots:
        fingerprint = shot.sha256 or say("record_pdf_no_fingerprint")
        pdf.paragraph(say("record_pdf_screenshot", at=wording.moment(shot.at), sha256=fingerprint))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
