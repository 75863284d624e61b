"""The kinds of check-in and how serious a filed one is.

This is the contract between filing (handlers), storage and the desk's figures (digests):

- `Kind` values are stored in `checkin.kind` and used in commands (`/logistik` ...).
- `Severity` is computed by the domain when a check-in is validated and stored in
  `checkin.severity`, so digests count floods, blank spots and open incidents without reading
  payloads: `Severity.OK` nothing wrong; `WARN` a problem the desk should see (incomplete
  logistics, TPS not ready, ankle/knee water, weak signal, an incident); `SEVERE` needs action
  (TPS unusable or to be relocated, water at waist level or more, no signal at all, damaged
  logistics); `CRITICAL` goes to the desk group at once (a critical incident, or a flood that
  makes the TPS unusable).
- The payload (`checkin.payload`, JSON) is the validated model as a dict. Keys the digest
  relies on: banjir `water_cm` (int, 0 = dry) and `usable` (bool); sinyal `level`
  ("none" | "weak" | "good"); kejadian `resolved` (bool) and `severity` ("low" | "medium" |
  "high" | "critical").
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    LOGISTIK = "logistik"
    SIAP = "siap"
    BANJIR = "banjir"
    SINYAL = "sinyal"
    KEJADIAN = "kejadian"


class Severity(StrEnum):
    OK = "ok"
    WARN = "warn"
    SEVERE = "severe"
    CRITICAL = "critical"


class Source(StrEnum):
    GUIDED = "guided"
    QUICK = "quick"
    SMS = "sms"  # a quick line that arrived by text message (the SMS gateway)
