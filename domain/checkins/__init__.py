"""Check-ins: the five kinds officers file, their validation and their quick one-line form."""
