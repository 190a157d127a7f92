"""roots: raw multilingual text and code in, a curated training corpus out."""
__version__ = "0.1.0"
#: The name roots is installed under (`pip install roots-corpus`); "roots" on PyPI is an unrelated project.
DISTRIBUTION = "roots-corpus"
