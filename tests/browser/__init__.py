"""Browser tests of the demo (run by scripts/test in the demo's environment)."""
