"""Rule tests live per family folder (tests/policies/<family>/test_<rule>.py, the Checkov
shape); this conftest puts the shared `policy_harness` on their import path."""
