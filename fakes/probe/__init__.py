"""Fingerprint a live OpenAI-compatible server: which built-in profile it behaves like,
where it differs, and a profile YAML that reproduces it."""

from fakes.probe._client import MAX_REQUESTS, Exchange, ProbeClient, ProbeError
from fakes.probe._probe import probe, probe_url
from fakes.probe._probes import MAX_PROBES, PROBES, Probe
from fakes.probe._report import Layer, Report, profile_yaml, render, to_json

__all__ = [
    "MAX_PROBES",
    "MAX_REQUESTS",
    "PROBES",
    "Exchange",
    "Layer",
    "Probe",
    "ProbeClient",
    "ProbeError",
    "Report",
    "probe",
    "probe_url",
    "profile_yaml",
    "render",
    "to_json",
]
