"""Demo data: a believable, deterministic catalogue for local use, demos and benchmarks.

`manage.py demo_data` fills an empty database with vendors (with well-formed legal
identities), demo logins, categories, products, variants and offers. Nothing here is used by
the running site; other apps never import it.
"""
