"""The customer card laid out by hand draws what a Rich Table.grid drew, for any customer, at any panel width.

The grid is the slow exact reference (~4 ms a card): it stays here, and the fast card must match it cell for cell
in every visible character and its style. Profiles come from the backend as they are: values of the wrong type
are shown as "unreadable" in place, by both."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from widgets.customer_panel import NUMBER_LABELS, CustomerPanel, customer_card
from widgets.i18n import tr
from widgets.inert_text import inert_text


def shown_as_text(value, style="") -> Text:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return Text("unreadable", style="dim italic")
    return inert_text(str(value), style)


def reference_card(chat, profile: dict, revealed: bool, note: str = "") -> Table:
    if not isinstance(profile, dict):
        profile = {"orders": "not a list"}
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
            card.add_row(tr(label), shown_as_text(profile[key], "bold red" if revealed else ""))
    if note:
        card.add_row("", inert_text(note, "italic"))
    orders = profile.get("orders") or []
    card.add_row("", "")
    if not isinstance(orders, list):
        card.add_row(tr("Orders"), Text("unreadable", style="dim italic"))
        return card
    card.add_row(tr("Orders"), Text(tr("none on record"), style="dim") if not orders else "")
    for order in orders[:5]:
        if not isinstance(order, dict):
            card.add_row("", Text("unreadable", style="dim italic"))
            continue
        line = shown_as_text(order.get("id", ""), "bold")
        status = order.get("status", "")
        line.append_text(inert_text(f"  {tr(str(status))}", "cyan") if isinstance(status, (str, int, float))
                         and not isinstance(status, bool) else Text("  ").append_text(shown_as_text(status)))
        details = [shown_as_text(order[field], "dim") for field in ("item", "amount")
                   if order.get(field) not in (None, "")]
        if details:
            line.append_text(Text("\n").append_text(Text(" · ", style="dim").join(details)))
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


wrong = st.one_of(st.integers(), st.booleans(), st.floats(allow_nan=False), st.none(), words,
                  st.lists(st.integers(), max_size=3), st.dictionaries(words, st.integers(), max_size=2))
wrong_orders = st.one_of(wrong, st.lists(st.one_of(wrong, st.dictionaries(
    st.sampled_from(["id", "status", "item", "amount"]), wrong)), max_size=6))


@settings(max_examples=300, deadline=None)
@given(phone=wrong, id_number=wrong, orders=wrong_orders, revealed=st.booleans(),
       width=st.integers(min_value=20, max_value=60))
def test_a_profile_of_the_wrong_shape_is_drawn_as_the_grid_drew_it(phone, id_number, orders, revealed, width):
    chat = SimpleNamespace(customer_name="陈静", customer_title="", vip=False, channel="web", priority="normal",
                           tags=())
    profile = {"phone": phone, "id_number": id_number, "orders": orders}
    assert seen(customer_card(chat, profile, revealed, width=width), width) == \
        seen(reference_card(chat, profile, revealed), width)


CHAT = SimpleNamespace(customer_name="陈静", customer_title="", vip=False, channel="web", priority="normal", tags=())


def card_lines(profile) -> list[str]:
    return [line.rstrip() for line in customer_card(CHAT, profile, False, width=40).plain.splitlines()]


def test_orders_that_are_not_a_list_of_orders_are_unreadable_in_place():
    for orders in (5, "A1001", {"id": "A1001"}, True):
        assert card_lines({"orders": orders})[-1] == "Orders   unreadable"
    assert card_lines({"orders": ["A1001", {"id": "A1002", "status": "shipped"}]})[-3:] == [
        "Orders", "         unreadable", "         A1002  shipped"]


def test_fields_of_the_wrong_type_are_unreadable_and_never_repeated():
    lines = card_lines({"phone": {"secret": "x"}, "orders": [{"id": ["A", "B"], "status": {"s": 1}, "item": "杯子",
                                                                "amount": [1]}]})
    assert "Phone    unreadable" in lines
    assert lines[-2:] == ["         unreadable  unreadable", "         杯子 · unreadable"]
    assert "secret" not in "\n".join(lines) and "['A'" not in "\n".join(lines)
    assert card_lines([1, 2])[-1] == "Orders   unreadable", "a profile that is not a mapping"


async def test_the_panel_shows_a_hostile_profile_without_crashing():
    from textual.app import App

    class PanelApp(App):
        def compose(self):
            yield CustomerPanel()

    app = PanelApp()
    async with app.run_test(size=(40, 20)) as pilot:
        app.query_one(CustomerPanel).show(CHAT, {"orders": 5, "phone": ["x"]})
        await pilot.pause()
        assert "unreadable" in str(app.query_one(CustomerPanel).render())
