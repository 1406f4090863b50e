"""Chinese text is two terminal cells per character: rows and lines are fitted and wrapped by cells."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from local_cache.models import ChatSummary
from tests.app.test_transcript_view import Entry, showing
from widgets.chat_header import header_text
from widgets.chat_list import fit_line


def test_a_long_chinese_name_is_cut_by_cells_and_the_badge_stays_whole():
    for width in range(12, 41):
        line = fit_line(Text("1 欧阳娜娜娜娜娜娜娜娜娜娜娜娜娜娜 · wechat"), Text(" 12 "), width)
        assert line.cell_len == width
        assert line.plain.endswith(" 12 ")
        assert "…" in line.plain


def test_short_rows_are_padded_to_the_width():
    assert fit_line(Text("陈静"), Text("reply 0:05"), 30).plain == "陈静" + " " * 15 + " reply 0:05"


def test_a_narrow_header_shortens_the_name_and_channel_and_keeps_state_and_priority():
    chat = ChatSummary("c1", "欧阳娜娜娜娜娜娜", "女士", True, "wechat", "in_progress", "important", "", 0, None)
    assert header_text(chat).plain == "欧阳娜娜娜娜娜娜 (女士) VIP  ·  wechat  ·  in progress  ·  important"
    for width in range(23, 80):
        header = header_text(chat, width)
        assert header.cell_len <= width, width
        assert header.plain.endswith("in progress · important") or header.plain.endswith("  ·  important"), width
    assert header_text(chat, 50).plain == "欧阳娜娜娜… VIP · wechat · in progress · important", "cut by cells"
    assert header_text(chat, 36).plain == "欧阳… VIP · in progress · important", "the channel goes before the name"


async def test_long_chinese_lines_wrap_by_cells_without_splitting_a_character():
    text = "您好请问这款羽绒服还有M码吗我身高一百六十五公分体重五十公斤" * 6
    async with showing([Entry("m1", "customer", text, 1_795_000_000.0)], size=(41, 30)) as (pilot, transcript):
        width = transcript.scrollable_content_region.width
        body = [line for line in transcript.plain_lines() if line.startswith("  ")]
        assert len(body) > 5
        assert all(cell_len(line) <= width for line in body)
        assert "".join(line.strip() for line in body) == text, "nothing lost or broken at a line end"
