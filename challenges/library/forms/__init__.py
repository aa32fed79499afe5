"""Protocol-library forms: the shape of what a clinician types. Rules live in services and pure modules.

One module per part of the pages: `fields` (shared fields and bounds), `header`, `generator`, `steps`, `premeds`,
`stop_rules` (checklist and stop rules), `washout`, `editor` (the whole edit page, `ProtocolEditor`), `errors`,
`foods` and `filters`. Import from the module that defines a name.
"""
