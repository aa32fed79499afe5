"""The sections of the challenge report snapshot, one module per part of the report (docs/clinical-sources.md §6.4);
build_challenge.challenge_report puts them together."""
