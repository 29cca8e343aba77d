"""The review queue: a local web page where a maintainer reads, edits, approves and sends drafts.

It reads the watcher's state (the same SQLite file, in short WAL
transactions, never the watcher's lock) and its outbox. Every decision is
recorded in that state, and every mail goes out through the same
``.sending``/``.sent`` protocol as the watcher's and ``--send``'s, so a
draft is sent at most once whoever sends it.
"""
