"""Every write to challenge data goes through these modules (see STYLE §4)."""
