"""One line at the bottom: connectivity, outbox depth and who is signed in."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from rich.text import Text
from textual.widgets import Static

from widgets.i18n import tr
from widgets.inert_text import inert


class SyncState(Protocol):
    """local_cache.models.SyncStatus fits."""

    online: bool | None
    since: float
    outbox_depth: int
    agent_name: str
    detail: str
    pushed_elsewhere: bool
    auth_required: bool
    degraded: str


def status_text(status: SyncState | None) -> Text:
    text = Text()
    if status is None or status.online is None:
        text.append(tr("○ connecting…"), style="yellow")
    elif status.online:
        text.append(tr("● online"), style="bold green")
    else:
        since = datetime.fromtimestamp(status.since).strftime("%H:%M:%S")
        if status.degraded:  # the backend answers, but not in a way sync can use: not a network outage
            text.append(tr("◐ sync degraded since {since}", since=since), style="bold red")
        else:
            text.append(tr("○ offline since {since}", since=since), style="bold red")
    if status is None:
        return text
    text.append("  │  ", style="dim")
    text.append(tr("outbox {depth}", depth=status.outbox_depth), style="bold yellow" if status.outbox_depth else "")
    if status.pushed_elsewhere:
        text.append(tr(" (sent by another process)"), style="dim")
    if status.agent_name:
        text.append("  │  ", style="dim")
        text.append(inert(status.agent_name), style="bold")
    if status.auth_required:
        text.append("  │  ", style="dim")
        text.append(tr("sign-in needed: ctrl+f"), style="bold red")
    elif status.online is False and status.detail:
        text.append("  │  ", style="dim")
        text.append(inert(status.detail), style="dim")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; padding: 0 1; }
    """

    def show(self, status: SyncState | None) -> None:
        self.update(status_text(status))
