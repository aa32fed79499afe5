"""The pages of the challenge run, one module per stage: the URLconf imports each view from its module."""
