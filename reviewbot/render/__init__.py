"""Render: a Review becomes text, JSON, drafts; nothing here decides anything."""
