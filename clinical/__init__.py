"""The clinical rules of Stepwise as plain Python: units, dose maths, stop rules, grading, wash-out, outcome.

Nothing here imports Django models or the database; every number cites docs/clinical-sources.md.
"""
