"""Text from a customer, a backend or a file never controls the agent's terminal.

One hostile fixture (terminal escapes: clear screen, OSC 52 clipboard, OSC 0 title, OSC 8 hyperlink, C1 CSI and
DCS, BEL, a bidi override, and Rich markup) is put into every field the console shows: customer name, title,
channel, tags, messages, profile, the agent's name, reply titles and bodies and a file name in the library, a
transfer note, backend error strings. Then every screen, dialog and alert is brought up and what the console
would write to the terminal is checked: no control sequence from the fixture, the markup shown as typed. The CLI
commands that print such text run as processes and their stdout and stderr are checked the same way.

What the terminal is sent: everything the console writes to its driver, captured (headless, Textual writes
nothing: `terminal_writes` makes the test driver take what a real one would), and a full frame of the screen as
it stands (the screen repainted whole, as the driver is then given it: tests/screen_capture.py).
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import uuid

import httpx
import pytest
from textual.app import App

from cli.inert_output import inert_output
from cli.main import serving
from cli.output import print_json
from console.app import AgentConsoleApp
from local_cache.reference_client import ReferenceApiClient
from quick_replies.library import STARTER_DIR
from quick_replies.reply_library_results import ReplyResult
from tests.package_under_test import OUTSIDE_TREE, package_env
from tests.pilot_helpers import type_text, wait_until
from tests.reference_backend import AGENT_TOKEN, ReferenceBackend
from tests.screen_capture import full_frame
from widgets.composer import Composer
from widgets.findings_bar import FindingsBar
from widgets.inert_text import inert, inert_in_place
from widgets.message_line import MessageLine
from widgets.rejected_bar import RejectedBar
from widgets.screens.help import HelpScreen
from widgets.screens.prompts import ChoiceScreen, ConfirmScreen, PromptScreen
from widgets.screens.reply_form import ReplyDraft, ReplyForm
from widgets.screens.reply_panel import ReplyPanel, highlighted
from widgets.status_bar import StatusBar

MARKUP = "[red]x[/]"  # must show as typed, not in red
ATTACKS = (
    "\x1b[2J"  # clear the screen
    "\x1b]52;c;aGk=\x07"  # write the clipboard
    "\x1b]0;t\x07"  # set the window title
    "\x1b]8;;http://e.x\x07L\x1b]8;;\x07"  # a hyperlink
    "\x9b2J\x90q\x9c"  # the same through C1 controls (CSI, DCS, ST)
    "\x07\u202e"  # a bell, a right-to-left override
    "[link=http://e.x]y[/]"  # a hyperlink written as markup
)
FEWER_ATTACKS = "\x1b]52;c;aGk=\x07\x9b2J\u202e"  # for fields the backend caps at 32 characters


def hostile(label: str) -> str:
    """A field's text: a visible label (to find it on screen), markup that must show as typed, the attacks."""
    return f"{label}{MARKUP}{ATTACKS}"


def compact(label: str) -> str:
    """The same for a short field (channel, title, tag: the reference backend caps them at 32-50 characters)."""
    return f"{label}{MARKUP}{FEWER_ATTACKS}"


# What the console itself writes: CSI sequences (colours, cursor moves, modes) and Textual's mouse pointer shape
# (OSC 22). Everything else that is a control is the fixture's.
OWN_SEQUENCE = re.compile(r"\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b\]22;[a-z-]*\x07")
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def control_problems(output: str) -> list[str]:
    """Every way `output` (bytes for the terminal) would let the fixture act on the terminal."""
    problems = []
    own_removed = OWN_SEQUENCE.sub("", output)
    for needle, what in (("\x1b]", "an OSC sequence"), ("\x1bP", "a DCS sequence"), ("\x07", "a bell")):
        if needle in own_removed:
            problems.append(what)
    if "\x1b[2J" in output:
        problems.append("a clear screen")
    if any(0x80 <= ord(character) <= 0x9F for character in output):
        problems.append("a C1 control")
    if any(character in BIDI for character in output):
        problems.append("a bidi override")
    if any(ord(character) < 0x20 and character != "\n" for character in own_removed):
        problems.append("a C0 control outside the console's own sequences")
    return problems


def visible(output: str) -> str:
    return OWN_SEQUENCE.sub("", output)


async def assert_inert(pilot, where: str) -> str:
    frame = await full_frame(pilot)
    problems = control_problems(frame)
    assert not problems, f"{where}: the terminal would be sent {', '.join(problems)}"
    assert MARKUP in visible(frame), f"{where}: markup from the data is not shown as typed"
    return frame


def test_the_check_catches_each_attack():
    """The checker itself: each attack, sent raw, is found; the console's own colours are not."""
    for attack in ("\x1b[2J", "\x1b]52;c;aGk=\x07", "\x1b]0;t\x1b\\", "\x9b2J", "\x07", "\u202e", "\x1bPq"):
        assert control_problems(f"\x1b[1;1H\x1b[1mok{attack}\x1b[0m"), repr(attack)
    assert control_problems("\x1b]22;default\x07\x1b[1;1H\x1b[38;2;1;2;3mok\x1b[0m\n") == []


def test_every_control_character_gets_a_visible_stand_in():
    """The whole class, not the fixture's few: every C0 and C1 control, DEL and every bidi control."""
    every = "".join(chr(code) for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))) + BIDI
    assert not control_problems(inert(every)) and "\n" in inert(every)
    in_place = inert_in_place(every)
    assert len(in_place) == len(every) and not control_problems(in_place.replace("\t", " "))


# --- the whole console, driven as an agent drives it -----------------------------------------------------------

LIBRARY = f"""
folder = {json.dumps(hostile("F"))}

[[reply]]
id = "hostile-reply"
title = {json.dumps(hostile("R"))}
shortcut = "hx"
tags = [{json.dumps(hostile("G"))}]
body = {json.dumps("绝对不可能 " + hostile("B"))}
"""


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory):
    """A backend whose customers, agent and notes are hostile, and a library with hostile files."""
    root = tmp_path_factory.mktemp("hostile")
    backend = ReferenceBackend(root / "backend.sqlite3", "--agent", hostile("A")).start()
    orders = [{"id": hostile("O"), "item": hostile("I"), "status": hostile("S"), "amount": hostile("$")}]
    first = backend.open_chat(hostile("N"), compact("C"), title=compact("T"), vip=True, phone=hostile("P"),
                              orders=orders)
    backend.customer_says(first, hostile("M"))
    headers = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    for action in ({"type": "tag", "tags": [compact("G1"), compact("G2")]},
                   {"type": "transfer", "to": hostile("X"), "note": hostile("W")}):
        httpx.post(f"{backend.url}/api/v1/chats/{first}/actions", json=action, timeout=10,
                   headers={**headers, "Idempotency-Key": str(uuid.uuid4())}).raise_for_status()
    second = backend.open_chat(hostile("N2"), compact("C2"))
    backend.customer_says(second, hostile("M2"))
    risky = backend.open_chat(hostile("N3"), "web")
    backend.customer_says(risky, hostile("H0") + " 我不想活了")  # a high-risk chat, to escalate
    library = root / "library"
    library.mkdir()
    (library / "hostile.toml").write_text(LIBRARY, encoding="utf-8")
    (library / f"{hostile('L')}.toml".replace("/", "_")).write_text("not [valid toml", encoding="utf-8")
    (library / "rules").mkdir()
    (library / "rules" / f"{hostile('Y')}.yaml".replace("/", "_")).write_text("rules: [", encoding="utf-8")
    yield backend, first, second, library
    backend.stop()


def make_app(tmp_path, backend, library) -> AgentConsoleApp:
    return AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                           long_poll_wait=1.0, library_dirs=[STARTER_DIR, library], rule_dirs=[library / "rules"],
                           alerts="notify")


async def main_screen(pilot, app, world):
    """Chat list, header, transcript, customer panel, status bar; the message line naming a new arrival."""
    backend, first, second, _ = world
    elsewhere = first if app.desk.current_chat_id == second else second
    backend.customer_says(elsewhere, hostile("M3"))
    await wait_until(pilot, lambda: any("new message" in text.lower() for text in app.alert_history),
                     "the arrival alert")
    app.desk.show_chat(first)
    await pilot.pause(0.2)
    shown = visible(await full_frame(pilot))
    for label in ("N", "C", "T", "M", "G1", "O", "A"):  # name, channel, title, message, tag, order, agent
        assert label + MARKUP in shown, f"{label}: the field is on screen"


async def arrival_alert(pilot, app, world):
    backend, first, second, _ = world
    await main_screen(pilot, app, world)
    line = app.desk.query_one(MessageLine)
    # The library's warnings outrank the arrival for 10 s: set them aside rather than wait.
    line._alerts = [alert for alert in line._alerts if alert.severity == "information"]
    line._paint()
    shown = line.showing
    assert shown is not None and MARKUP in shown.text.plain


async def library_alerts(pilot, app, world):
    await wait_until(pilot, lambda: any("R" + MARKUP in text for text in app.alert_history), "the flagged reply")
    await wait_until(pilot, lambda: any("not valid TOML" in text for text in app.alert_history), "the bad file")
    await pilot.press("ctrl+p")
    await type_text(pilot, "Recent alerts")
    await pilot.press("enter")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "AlertLogScreen", "the alert log")


async def palette(pilot, app, world):
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)


async def palette_search(pilot, app, world):
    await pilot.press("ctrl+p")
    await type_text(pilot, "N2")
    await pilot.pause(0.5)


async def palette_choice(pilot, app, world):
    """A chat picked in the palette: the palette shows what was picked in its input before it closes."""
    backend, first, second, _ = world
    await palette_search(pilot, app, world)
    await pilot.press("down", "enter")
    await wait_until(pilot, lambda: app.desk.current_chat_id == second, "the chat picked")


async def reply_panel(pilot, app, world):
    await pilot.press("f2")
    await type_text(pilot, "hx")
    await wait_until(pilot, lambda: isinstance(app.screen, ReplyPanel) and app.screen._results, "the results")


async def reply_form(pilot, app, world):
    await reply_panel(pilot, app, world)
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, ReplyForm), "the reply form")
    app.screen.query_one("#body").focus()


async def delete_question(pilot, app, world):
    await reply_panel(pilot, app, world)
    await pilot.press("f8")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")


async def composer_with_reply(pilot, app, world):
    await reply_panel(pilot, app, world)
    await pilot.press("enter")
    await wait_until(pilot, lambda: "B" + MARKUP in app.desk.main_pane.composer.text, "the inserted reply")


async def split_view(pilot, app, world):
    await pilot.press("ctrl+backslash")
    await wait_until(pilot, lambda: app.desk.side_chat_id is not None, "the split view")


async def help_screen(pilot, app, world):
    await pilot.press("f1")
    await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")


async def transfer_dialog(pilot, app, world):
    await pilot.press("f3")
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the transfer dialog")
    app.screen.query_one("Input").value = hostile("V")  # as if pasted from the transcript


async def revealed_profile(pilot, app, world):
    """f9: the customer panel shows the profile in clear, as the backend sends it."""
    backend, first, second, _ = world
    app.desk.show_chat(first)
    await pilot.press("f9")
    await wait_until(pilot, lambda: app.desk.customer.clear_profile is not None, "the clear profile")
    await pilot.pause(0.2)
    assert "P" + MARKUP in visible(await full_frame(pilot))


async def picked_order(pilot, app, world):
    """alt+o: the order list, then the picked order in the customer panel, revealed: every field as the shop and
    the customer typed them."""
    backend, first, second, _ = world
    backend.add_order(first, "DD20261120553", status=compact("S"), carrier=compact("K"), tracking_no=compact("Q"),
                      currency="CNY", items=[{"name": hostile("I2"), "quantity": 1, "price": "1.00"}], amount="1.00",
                      shipping={"name": compact("R"), "phone": compact("P2"), "region": hostile("Z"),
                                "address": hostile("D")})
    app.desk.show_chat(first)
    await pilot.press("alt+o")
    await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the order list")
    assert "K" + MARKUP in visible(await full_frame(pilot)), "the carrier in the list"
    await pilot.press("1")
    await wait_until(pilot, lambda: app.desk.order_actions.chosen.get(first) is not None, "the picked order")
    await pilot.press("f9")
    await wait_until(pilot, lambda: app.desk.customer.clear_profile is not None, "the clear profile")
    await pilot.pause(0.2)
    frame = visible(await full_frame(pilot))
    assert "S" + MARKUP in frame and "I2" + MARKUP in frame, "status and item in the panel"


async def high_risk_alert(pilot, app, world):
    """A high-risk message arriving: the alert names the customer."""
    backend = world[0]
    await wait_until(pilot, lambda: any(chat.customer_name == hostile("N3") for chat in app.desk.chats.values()),
                     "the risky chat")
    risky = next(chat.id for chat in app.desk.chats.values() if chat.customer_name == hostile("N3"))
    backend.customer_says(risky, hostile("H") + " 我不想活了")
    await wait_until(pilot, lambda: any("N3" + MARKUP in text for text in app.alert_history), "the high-risk alert")
    await pilot.pause(0.1)
    assert "N3" + MARKUP in visible(await full_frame(pilot)), "the alert is on the line (errors outrank the rest)"


async def escalate_dialog(pilot, app, world):
    await wait_until(pilot, lambda: any(chat.high_risk for chat in app.desk.chats.values()), "the high-risk chat")
    app.desk.show_chat(next(chat.id for chat in app.desk.chats.values() if chat.high_risk))
    await pilot.press("f12")
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the escalation dialog")


async def priority_dialog(pilot, app, world):
    await pilot.press("f10")
    await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), "the priority dialog")


async def metrics(pilot, app, world):
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "MetricsScreen", "the metrics")


SCREENS = [main_screen, arrival_alert, library_alerts, palette, palette_search, palette_choice, reply_panel, reply_form,
           delete_question, composer_with_reply, split_view, help_screen, transfer_dialog, priority_dialog, metrics,
           revealed_profile, picked_order, high_risk_alert, escalate_dialog]


@pytest.mark.parametrize("open_screen", SCREENS, ids=[screen.__name__ for screen in SCREENS])
async def test_no_screen_lets_hostile_data_control_the_terminal(tmp_path, hostile_world, open_screen,
                                                                 terminal_writes):
    backend, first, second, library = hostile_world
    app = make_app(tmp_path, backend, library)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id is not None and app.desk.sync_status is not None
                         and app.desk.sync_status.online, "the first chat open, online")
        await wait_until(pilot, lambda: app.store.chats.customer_profile(first), "the profile")
        await open_screen(pilot, app, hostile_world)
        await pilot.pause(0.2)
        await assert_inert(pilot, open_screen.__name__)
        written = "".join(terminal_writes)
        assert MARKUP in visible(written), "the capture holds what was drawn"
        problems = control_problems(written)
        assert not problems, f"{open_screen.__name__}: the console wrote {', '.join(problems)} to the terminal"


def test_search_highlights_stay_on_their_characters_when_a_stand_in_is_longer():
    line = highlighted("\x9b\tab", (2, 3))
    assert line.plain == "<U+009B>    ab"
    assert [line.plain[span.start:span.end] for span in line.spans] == ["a", "b"]


async def test_the_fixture_reached_the_console_as_sent(tmp_path, hostile_world):
    """The backend kept the attacks (a backend that cleaned them would leave the tests above nothing to catch)."""
    backend, first, second, library = hostile_world
    app = make_app(tmp_path, backend, library)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: first in app.desk.chats, "the chat")
        assert app.desk.chats[first].customer_name == hostile("N")
        assert hostile("M") in [entry.text for entry in app.store.chats.transcript(first)]


# --- each widget and dialog on its own, with what the backend or a file can put in it ---------------------------

class Host(App):
    def __init__(self, widget=None):
        super().__init__()
        self._widget = widget

    def compose(self):
        if self._widget is not None:
            yield self._widget


class Finding:
    level, start, end, message, suggestions, masked = "warning", 0, 3, hostile("K"), [hostile("U")], ""
    fix_text, has_fix = hostile("U"), True  # the suggestion shown is the text ctrl+t would put in


class Sync:
    online, since, outbox_depth, agent_name, detail, pushed_elsewhere, auth_required, degraded = (
        False, 0.0, 2, hostile("A"), hostile("D"), False, False, "")


def reply_result() -> ReplyResult:
    return ReplyResult("k", "reply", hostile("R"), hostile("B"), "hx", title_highlights=(0, 20, 40),
                       preview_highlights=(1, 30), flag_level="warning", flag=hostile("Q"))


WIDGETS = {
    "rejected bar": lambda host: host.query_one(RejectedBar).show(hostile("M"), hostile("E"), 2),
    "findings bar": lambda host: host.query_one(FindingsBar).show([Finding()], hostile("Z")),
    "status bar": lambda host: host.query_one(StatusBar).show(Sync()),
    "message line": lambda host: host.query_one(MessageLine).alert(hostile("E")),
    "message line, arrivals": lambda host: host.query_one(MessageLine).arrived(hostile("N"), 2),
    "key hints from a keymap file": lambda host: host.query_one(MessageLine).show_hints([(hostile("K"), "send")]),
}
WIDGET_CLASSES = {"rejected bar": RejectedBar, "findings bar": FindingsBar, "status bar": StatusBar,
                  "message line": MessageLine, "message line, arrivals": MessageLine,
                  "key hints from a keymap file": MessageLine}


@pytest.mark.parametrize("name", list(WIDGETS))
async def test_strips_show_backend_and_file_text_inert(name, terminal_writes):
    host = Host(WIDGET_CLASSES[name]())
    async with host.run_test(size=(160, 20)) as pilot:
        WIDGETS[name](host)
        await pilot.pause()
        await assert_inert(pilot, name)


DIALOGS = {
    "prompt with a prefilled value": lambda: PromptScreen(hostile("Q"), placeholder=hostile("H"), value=hostile("V")),
    "confirm": lambda: ConfirmScreen(hostile("Q")),
    "choice": lambda: ChoiceScreen(hostile("Q"), [("u", "urgent", hostile("L"))]),
    "reply form": lambda: ReplyForm(hostile("H"), ReplyDraft(hostile("T"), "hx", hostile("F"), (hostile("G"),),
                                                            hostile("B")), lambda draft: hostile("E")),
    "reply panel": lambda: ReplyPanel(lambda query: [reply_result()], "hx"),
    "help": lambda: HelpScreen([(hostile("K"), hostile("D"))]),
}


@pytest.mark.parametrize("name", list(DIALOGS))
async def test_dialogs_show_their_text_inert(name, terminal_writes):
    host = Host()
    async with host.run_test(size=(160, 45)) as pilot:
        host.push_screen(DIALOGS[name]())
        await pilot.pause()
        if name == "reply form":
            await pilot.press("ctrl+s")  # the save fails: its error is shown in the form
            await pilot.pause()
            assert "E" + MARKUP in visible(await full_frame(pilot))
        await assert_inert(pilot, name)


async def test_notify_titles_and_markup_alerts_stay_inert(tmp_path, hostile_world, terminal_writes):
    """Any caller of notify: a title from data, and markup=True (Textual's default) given data by mistake."""
    backend, first, second, library = hostile_world
    app = make_app(tmp_path, backend, library)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.desk.current_chat_id is not None, "the first chat open")
        # The hostile customer's message is checked in a worker and raises an error alert of its own: let it
        # arrive first, or it takes the message line from the alert under test.
        await wait_until(pilot, lambda: any("High-risk" in text for text in app.alert_history), "the risk alert")
        app.notify(hostile("E"), title=hostile("T"), severity="error")
        await pilot.pause()
        frame = await assert_inert(pilot, "notify")
        assert "T" + MARKUP in visible(frame)
        line = app.desk.query_one(MessageLine).showing.text
        assert not any(span.style.link or span.style.meta for span in line.spans if not isinstance(span.style, str))


async def test_the_composer_keeps_the_text_and_shows_it_inert(terminal_writes):
    """The composer holds exactly what was typed or inserted (it is what gets sent and linted); only the drawing
    is inert, one character for one, so the cursor and the linter's marks stay on their characters."""
    composer = Composer(id="composer")
    host = Host(composer)
    async with host.run_test(size=(100, 10)) as pilot:
        composer.text = hostile("Y")
        await pilot.pause()
        assert composer.text == hostile("Y")
        await assert_inert(pilot, "composer")
        assert len(composer.get_line(0).plain) == len(composer.document.get_line(0))


# --- the command line -----------------------------------------------------------------------------------------

def agent_console(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                          cwd=OUTSIDE_TREE, timeout=60, env=package_env())


def assert_cli_inert(result: subprocess.CompletedProcess, what: str) -> None:
    for stream, output in (("stdout", result.stdout), ("stderr", result.stderr)):
        problems = control_problems(output.replace("\t", " "))
        assert not problems, f"{what} {stream}: {', '.join(problems)}\n{output!r}"


@pytest.fixture
def cli_world(tmp_path, hostile_world):
    backend, first, second, library = hostile_world
    config = tmp_path / "config.toml"
    config.write_text(f'library = {json.dumps(str(library))}\n', encoding="utf-8")
    connection = ["--backend", backend.url, "--token", backend.token, "--data-dir", str(tmp_path / "data"),
                  "--config", str(config)]
    return connection, first, tmp_path


SEND_TO_AN_UNKNOWN_CHAT = ["send", "--chat", compact("ch_"), "--wait", "--timeout", "5", "hello"]
CLI_COMMANDS = {  # each: the commands to run, in order; the output of every one is checked
    "sync": lambda first, path: [["sync", "--once"]],
    "chats": lambda first, path: [["chats"]],
    "history": lambda first, path: [["history", "--chat", first]],
    "search": lambda first, path: [["search", "hx"]],
    "lint": lambda first, path: [["lint", hostile("绝对不可能")]],
    "library import": lambda first, path: [["library", "import", str(path)]],
    "library export": lambda first, path: [["library", "export", str(path.with_name("out.csv"))]],
    # the backend's error names the chat id it was given: an error string from a backend, echoing data
    "send to an unknown chat": lambda first, path: [SEND_TO_AN_UNKNOWN_CHAT],
    "outbox": lambda first, path: [SEND_TO_AN_UNKNOWN_CHAT, ["outbox"]],
}


@pytest.mark.parametrize("name", list(CLI_COMMANDS))
def test_cli_output_holds_no_control_characters(cli_world, name):
    connection, first, tmp_path = cli_world
    agent_console("sync", "--once", *connection)
    imported = tmp_path / "import.json"
    imported.write_text(json.dumps({"replies": [
        {"title": hostile("R"), "body": hostile("B"), "folder": hostile("F"), "tags": [hostile("G")]},
        {"title": hostile("R2"), "body": ""},
        {"title": hostile("R3"), "body": "b", "language": hostile("Lang")},
    ]}), encoding="utf-8")
    for args in CLI_COMMANDS[name](first, imported):
        result = agent_console(*args, *connection)
        assert_cli_inert(result, " ".join(args[:2]))
    if name not in ("sync", "library import"):  # these two name no customer, reply or file of the fixture
        assert "␛" in result.stdout + result.stderr, f"{name}: the fixture's text is shown, as stand-ins"



def test_every_print_and_log_line_of_a_command_goes_out_inert(monkeypatch):
    """The boundary itself (cli/inert_output.py): prints and a log handler made during the command write
    through it; tabs and newlines pass, and JSON, which escapes its own controls, is left exactly as it is."""
    terminal_out, terminal_err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", terminal_out)
    monkeypatch.setattr(sys, "stderr", terminal_err)
    with inert_output():
        print(f"a\tb {hostile('P')}")
        print_json({"name": hostile("N")})  # as `--json` prints
        handler = logging.StreamHandler(sys.stderr)
        logging.getLogger("hostile-test").addHandler(handler)
        try:
            logging.getLogger("hostile-test").warning("degraded: %s", hostile("E"))
        finally:
            logging.getLogger("hostile-test").removeHandler(handler)
    assert sys.stdout is terminal_out and sys.stderr is terminal_err, "the streams are put back"
    for output in (terminal_out.getvalue(), terminal_err.getvalue()):
        assert not control_problems(output.replace("\t", " ")), output
    assert terminal_out.getvalue().startswith("a\tb P[red]x[/]␛[2J")
    assert json.loads(terminal_out.getvalue().split("\n", 1)[1]) == {"name": hostile("N")}
    assert "E[red]x[/]␛" in terminal_err.getvalue()


def test_serve_keeps_its_own_output():
    assert serving(["serve", "--port", "0"]) and not serving(["chats", "--json"]) and not serving([])


async def test_a_hostile_keymap_file_is_shown_inert(tmp_path, hostile_world, terminal_writes):
    """Key names and action ids from the agent's config file: in the footer, the key line, the help and the
    alert that names an unknown action."""
    backend, first, second, library = hostile_world
    app = AgentConsoleApp(tmp_path / "agent.sqlite3", lambda: ReferenceApiClient(backend.url, backend.token),
                          long_poll_wait=1.0, library_dirs=[STARTER_DIR, tmp_path / "library"], keys={
                              "quick_replies": compact("k"), "focus_chat_list": compact("j"), hostile("Z"): "f2"})
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: any("Z" + MARKUP in text for text in app.alert_history), "the key problem")
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.pause(0.2)
        await assert_inert(pilot, "help with a hostile keymap")
        problems = control_problems("".join(terminal_writes))
        assert not problems, f"the console wrote {', '.join(problems)} to the terminal"
