"""The admin, kept inside the rules of the app ("the admin can never write what the app forbids").

- Scope: a non-superuser sees only their own clinic's rows on every page, list, filter, dropdown and autocomplete
  (`ClinicScopedMixin`). What cannot be tied to a clinic (groups) is shown to superusers only.
- History is for reading: simple-history's "revert" is off for every model, its pages are scoped like the rest, and
  they answer GET only (`ScopedAdmin`).
- Clinical writes go through the app: challenge records and the protocol library are read-only here
  (challenges/admin.py); patients, triggers and medications are edited only through the app's own forms and
  `clinical_record_save` (`ClinicalRecordAdmin`, patients/admin.py).
- Access rights (`StepwiseUserAdmin`): only a superuser makes superusers, moves users between clinics or manages
  groups. A clinic's admin manages only their clinic's non-superusers in a role no higher than their own and whose
  permissions they hold themselves, grants only such roles and permissions, never changes their own access, and
  gives staff (admin) rights to allergists and nurses only.
- Trail: every change of who may do what, and of a clinic's settings, is announced (`admin_changed`) to the audit
  trail, which records it in its hash chain (audit/admin.py); with nobody listening, the change is not saved.

Modules: `base` (the scoped admin classes the apps' admins build on), `rights` (permissions, access snapshots and
their announcement), `clinic` (clinic settings, one-time form keys), `users` (users and groups) and `signin` (axes
and django-otp). Django's admin autodiscovery imports this package; importing it registers every admin below.
"""

from clinics.admin import clinic, signin, users  # noqa: F401  (each registers its admins on import)
