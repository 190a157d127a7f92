"""The one base class of errors a user can act on: the CLI prints them as one line and exits 2."""


class RootsError(ValueError):
    """A problem with the user's config, inputs or models, stated in one line naming the file and key."""
