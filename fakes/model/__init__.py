"""The simulation model: what a fake says (script, tokens), when (timing), and how it fails
(faults, canned bytes)."""
