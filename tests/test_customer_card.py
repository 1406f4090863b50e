"""The customer card laid out by hand draws what a Rich Table.grid drew, for any customer, at any panel width.

The grid is the slow exact reference (~4 ms a card): it stays here, and the fast card must match it cell for cell
in every visible character and its style."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from widgets.customer_panel import NUMBER_LABELS, customer_card
from widgets.i18n import tr
from widgets.inert_text import inert_text


def reference_card(chat, profile: dict, revealed: bool, note: str = "") -> Table:
    card = Table.grid(padding=(0, 1))
    card.add_column(style="dim", no_wrap=True)
    card.add_column(overflow="fold")
    name = inert_text(chat.customer_name, "bold")
    if chat.vip:
        name.append(" VIP", style="bold yellow")
    card.add_row(tr("Customer"), name)
    if chat.customer_title:
        card.add_row(tr("Address as"), inert_text(chat.customer_title))
    card.add_row(tr("Channel"), inert_text(chat.channel))
    card.add_row(tr("Priority"), inert_text(tr(chat.priority)))
    card.add_row(tr("Tags"), inert_text(", ".join(chat.tags) or "—"))
    for key, label in NUMBER_LABELS:
        if profile.get(key):
            card.add_row(tr(label), inert_text(str(profile[key]), "bold red" if revealed else ""))
    if note:
        card.add_row("", inert_text(note, "italic"))
    orders = [order for order in profile.get("orders") or () if isinstance(order, dict)][:5]
    card.add_row("", "")
    card.add_row(tr("Orders"), Text(tr("none on record"), style="dim") if not orders else "")
    for order in orders:
        line = inert_text(str(order.get("id", "")), "bold")
        line.append_text(inert_text(f"  {tr(str(order.get('status', '')))}", "cyan"))
        details = " · ".join(str(order[field]) for field in ("item", "amount") if order.get(field) not in (None, ""))
        if details:
            line.append_text(inert_text(f"\n{details}", "dim"))
        card.add_row("", line)
    return card


def seen(renderable, width: int) -> list[list[tuple[str, str]]]:
    """Each line as the agent sees it: its characters with their styles, blanks without (a dim or unstyled
    space looks the same), trailing blanks dropped."""
    console = Console(width=width, color_system="truecolor", force_terminal=True)
    lines = []
    for line in console.render_lines(renderable, console.options.update_width(width), pad=False):
        cells = [(character, str(segment.style or "") if character.strip() else "")
                 for segment in line for character in segment.text]
        while cells and not cells[-1][0].strip():
            cells.pop()
        lines.append(cells)
    while lines and not lines[-1]:
        lines.pop()
    return lines


words = st.text(st.sampled_from("ab Zz 客户退款羽绒服 -·\t\x1b["), max_size=40)
orders = st.lists(st.fixed_dictionaries({"id": words, "status": st.sampled_from(["shipped", "paid", ""])},
                                        optional={"item": words, "amount": st.one_of(st.none(), words)}), max_size=6)


@settings(max_examples=300, deadline=None)
@given(name=words, title=words, vip=st.booleans(), tags=st.lists(words, max_size=3), note=words,
       phone=words, bank_card=words, orders=orders, revealed=st.booleans(), width=st.integers(min_value=20,
                                                                                               max_value=60))
def test_the_card_draws_what_the_grid_drew(name, title, vip, tags, note, phone, bank_card, orders, revealed, width):
    chat = SimpleNamespace(customer_name=name, customer_title=title, vip=vip, channel="wechat",
                           priority="important", tags=tuple(tags))
    profile = {"phone": phone, "bank_card": bank_card, "orders": orders}
    assert seen(customer_card(chat, profile, revealed, note, width), width) == \
        seen(reference_card(chat, profile, revealed, note), width)


def test_a_long_name_wraps_under_its_own_column():
    chat = SimpleNamespace(customer_name="客户07 Customer 7 with a very long name indeed", customer_title="",
                           vip=True, channel="web", priority="important", tags=("vip", "refund"))
    lines = [line.rstrip() for line in customer_card(chat, {}, False, width=31).plain.splitlines()]
    assert lines[:3] == ["Customer 客户07 Customer 7 with", "         a very long name", "         indeed VIP"]
