"""The forms of the challenge run, one module per stage: shape of input only; the rules live in
challenges.run.services."""
