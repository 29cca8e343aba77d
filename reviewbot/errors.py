"""One exception hierarchy; each class carries the exit status the CLI returns.

Library code raises these and never exits: only ``cli.main`` turns them into
one line on stderr and a status (docs/architecture.md: 2 usage/input, 3 network).
"""


class ReviewbotError(Exception):
    """Base class: ``str(exc)`` is the one-line message shown to the user."""

    exit_code = 2


class UsageError(ReviewbotError):
    """The command line or a configuration file is wrong."""

    exit_code = 2


class InputError(ReviewbotError):
    """A source (file, message-id, range) cannot be turned into a series."""

    exit_code = 2


class ConfigError(ReviewbotError):
    """A configuration or knowledge file does not validate."""

    exit_code = 2


class NetworkError(ReviewbotError):
    """A server could not be reached or kept failing after retries."""

    exit_code = 3
