"""FHIR R4 export: a transaction Bundle of plain JSON-ready dicts that a FHIR server can apply again and again.

Reads RunStates (challenges loaded with selectors.with_run_data) and the rows prefetched on them; makes no queries
and needs no FHIR library at run time. The tests validate every bundle with an independent R4 validator (Medplum
with the official StructureDefinitions and the R4 vital-signs profiles, tests/interop/fhir_validate.mjs).

Identity (interop review defects 9, 10, 21). Every resource's id is a UUID derived from the record (uuid5 of the
clinic's own namespace, Clinic.fhir_namespace, and the record's kind and primary key), the same in every download;
it is also the resource's business identifier (urn:ietf:rfc:3986). The bundle is a transaction: the clinic's own
records go as `PUT Type/id` (update, or create with that id), so a second export updates them rather than
duplicating them; the Patient, the clinic (Organization) and its clinicians (Practitioner) go as conditional creates
(`POST` with `ifNoneExist` on the MRN in the clinic's MRN system, or on their identifier), so the receiving system's
own records of them are matched, never overwritten. Entries reference each other by their `urn:uuid:` fullUrl.

Codes (`codes`): each SNOMED CT and LOINC code was checked against public FHIR and terminology sources
(docs/clinical-sources.md §14). Where no code could be confirmed (flushing, some foods), the concept goes as text
only: a wrong code is worse than none. The dose figures have no standard code, so they carry a Stepwise code system
as well as text. Units are UCUM. Every resource carries a generated narrative (text.div, escaped XHTML).

Also carried: the patient's allergy test results (Observations, observations.allergy_test_observation), the
structured discharge advice (Procedure.followUp, procedure._follow_up: why not a CarePlan is said there), and every
record entered in error that an earlier export may hold: sent again under its id with status entered-in-error and the
reason (a challenge with all its resources, a vital sign, a treatment, a test result, a trigger, a medicine), never
left out.

Modules: `bundle` (what may be exported, the two bundles, ids and entries), `people` (Organization, Patient,
Practitioner), `procedure` (the challenge), `observations` (dose figures, vital signs, allergy test results),
`medication`, `allergies` (AllergyIntolerance), and the shared `codes` and `datatypes`. Import from the module that
defines a name; a name with a leading underscore is used only in its own module.
"""
