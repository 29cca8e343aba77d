"""The subscribed lore watcher: follow inboxes and searches, review each new revision once.

A front end's helper, like ``reviewbot.commands``: it calls intake, the
pipeline, render/reply, outbox and smtp_send; none of those import it.
``config`` validates the file, ``poller`` and ``feeds`` read public-inbox,
``assembly`` groups patches into revisions, ``state`` remembers, and
``reviewer`` files drafts exactly once; ``service`` runs the cycle.
"""
