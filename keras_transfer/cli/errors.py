"""The one exception the CLI turns into a single error line and exit code 2."""


class UsageError(Exception):
    """A mistake the user can fix from the command line."""
