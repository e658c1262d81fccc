"""What goes over the wire: one message, or a batch of waiting ones, per channel.

`parcel(msgs)` renders the core's messages (all to one person on one channel) into the
payload of that channel: Slack-compatible JSON (`text` fallback + Block Kit `blocks`,
accepted by Slack, Mattermost and Rocket.Chat incoming webhooks), a JSON body for a
generic webhook, or an email. Rendering only: every word was chosen by the core.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from notifier.summary_html import chat_blocks, render_html
from routing.notifications import SUMMARY, Batch, Message


@dataclass(frozen=True)
class Parcel:
    key: str  # the delivery key: event_id|recipient|channel, or batch:<t>|recipient|channel
    recipient: str
    channel: str
    address: str
    members: tuple[str, ...]  # the message keys it carries
    event_ids: tuple[str, ...]
    subject: str
    chat: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    html: str | None = None
    ats: tuple[float, ...] = ()  # each member's decision time (the ledger's retention)


def _esc(text: str) -> str:
    """Slack treats &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _blocks(m: Message) -> list[dict[str, Any]]:
    lines = _esc(m.text)
    if m.link:
        lines += f" <{m.link}|Open the dashboard>"
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_esc(m.title)}*\n{lines}"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f"event `{_esc(m.event_id)}`"}],
        },
    ]


def message_id(key: str) -> str:
    """A stable Message-ID, so a mail system can recognise a repeat of the same delivery."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@leadflow>"


def parcel(key: str, msgs: tuple[Message, ...], batched: bool) -> Parcel:
    first = msgs[0]
    mention = f"{first.mention} " if first.mention else ""
    if batched:
        subject = f"While you were away: {len(msgs)} update{'s' if len(msgs) != 1 else ''}"
        header = [{"type": "header", "text": {"type": "plain_text", "text": subject}}]
        blocks = header + [b for m in msgs for b in _blocks(m)]  # <= 20 (BATCH_MAX)
    else:
        subject = first.title
        blocks = _blocks(first)
    text = "\n\n".join(f"{m.title}\n{m.text}" + (f"\n{m.link}" if m.link else "") +
                       f"\n(event {m.event_id})" for m in msgs)
    chat = {"text": mention + _esc(subject if batched else f"{first.title}: {first.text}"),
            "blocks": blocks}
    body = {
        "delivery": key, "recipient": first.recipient, "batch": batched,
        "messages": [
            {"event_id": m.event_id, "kind": m.kind, "lead_id": m.lead_id, "title": m.title,
             "text": m.text, "link": m.link, "urgent": m.urgent}
            for m in msgs
        ],
    }
    html = None
    if not batched and first.data is not None and first.kind == SUMMARY:
        html = render_html(first.data, first.link)
        chat = {"text": mention + _esc(first.title), "blocks": chat_blocks(first.data, first.link)}
        body["summary"] = first.data
    return Parcel(key, first.recipient, first.channel, first.address, tuple(m.key for m in msgs),
                  tuple(m.event_id for m in msgs), subject, chat, body, text, html,
                  tuple(m.at for m in msgs))


def single(m: Message) -> Parcel:
    return parcel(m.key, (m,), batched=False)


def of_batch(b: Batch) -> Parcel:
    return parcel(b.key, b.messages, batched=True)
