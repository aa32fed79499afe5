"""Hypothesis settings shared by the property tests of the clinical rules."""

from hypothesis import settings

# 200 examples a property, no deadline (the shared 2-core machine is slow at times), no example database on disk.
FAST = settings(max_examples=200, deadline=None, database=None)
