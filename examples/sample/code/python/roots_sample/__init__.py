"""Small text utilities used by the sample code tree."""
