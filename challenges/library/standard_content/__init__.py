"""The standard library's content, shipped with the code and loaded by challenges.library.services.standard.

- foods: the challenge foods with their protein content, each figure with its source (FOODS);
- snomed: each food's allergen as a SNOMED CT substance, for the FHIR export (snomed_for);
- protocols: the seeded standard protocols (PROTOCOLS).
"""
