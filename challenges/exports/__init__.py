"""Data exports for other systems: FHIR R4 bundles, iCalendar plans and CSV tables.

Builders only: each takes loaded model objects (or a RunState) and returns dicts, bytes or text. Loading, access
checks and the HTTP response live in challenges/exports/views.py.
"""
