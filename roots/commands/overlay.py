"""The `--language-configs DIR` option of the commands that read language configs: the same overlay a
run config names with `language_configs:`, merged over the packaged configs and checked the same way."""
from __future__ import annotations

import argparse
import os

from roots.languages import Registry

OPTION = "--language-configs"


def add_option(parser: argparse.ArgumentParser) -> None:
    """Add `--language-configs DIR` to a command."""
    parser.add_argument(OPTION, metavar="DIR", dest="language_configs",
                        help="a folder of language-config YAMLs merged over the packaged ones (a file for a "
                             "shipped language sets only the keys it changes; one for a new language adds it), "
                             "as `language_configs:` in a run config")


def registry_of(args: argparse.Namespace) -> Registry:
    """The registry a command uses: packaged, with `--language-configs` over it; a bad overlay is a
    ConfigError of one line naming the file and key, before any work."""
    from roots.config import overlay_registry, resolve_language_configs

    overlay = resolve_language_configs(getattr(args, "language_configs", None), OPTION, os.getcwd())
    return overlay_registry(overlay, OPTION)
