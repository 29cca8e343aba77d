"""One module per command: ``add_arguments(parser)`` and ``run(args) -> int``.

``cli.py`` imports these modules at start, so they must stay light: heavy
imports (b4, tree-sitter, jinja2) go inside ``run``.
"""

COMMANDS = (
    "review", "check", "scan", "watch", "queue", "explain", "profile", "completion", "manpage",
)
