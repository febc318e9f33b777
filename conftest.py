"""Root pytest configuration: what the doctest collector must not import."""

# `python -m seqlab` runs the CLI on import; it has no doctests.
collect_ignore = ["src/seqlab/__main__.py"]
