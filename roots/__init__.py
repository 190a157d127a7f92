"""roots: raw multilingual text and code in, a curated training corpus out."""
__version__ = "0.1.0"
