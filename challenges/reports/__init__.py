"""PDF reports, in two stages (STYLE §10): a builder reads the database into a frozen snapshot whose figures are
already formatted text, and a reportlab renderer draws that snapshot into PDF bytes.

- challenge report (allergist and chart): build_challenge.challenge_report -> render_challenge.render_challenge_report
- dose-preparation sheet (nurse): build_sheets.preparation_sheet -> render_sheets.render_preparation_sheet
- home plan (patient): build_sheets.home_plan -> render_sheets.render_home_plan
- patient summary (referral letter): build_summary.patient_summary -> render_summary.render_patient_summary

A signed challenge keeps its PDF and snapshot (signed.build_signed_report); its download serves those bytes.
"""

from challenges.reports.signed import build_signed_report, challenge_report_pdf, render_snapshot
from challenges.reports.snapshot import snapshot_from_dict, snapshot_to_dict

__all__ = ["build_signed_report", "challenge_report_pdf", "render_snapshot", "snapshot_from_dict", "snapshot_to_dict"]
