"""The one base class of errors a user can act on: the CLI prints them as one line and exits 2."""


class RootsError(ValueError):
    """A problem with the user's config, inputs or models, stated in one line naming the file and key."""


class ConfigError(RootsError):
    """A config that cannot be run; the message is one line naming the file and the key."""
