"""The notifier: a thin shell that delivers what routing/notifications.py decided.

`service.Notifier` consumes the decision topics with its own consumer group, plans
messages with the core, delivers them (chat.py, webhook.py, mail.py), records each
delivery on a compacted topic (ledger.py) and commits offsets only after that.
"""
