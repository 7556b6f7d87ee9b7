"""HOSTILE.md part B as a corpus of whole jobs: submission archives built from small source
strings (`archives`), and a harness that runs them through the real `run_job` and the real
bubblewrap sandbox (`harness`). The cases and their verdicts are in
tests/worker/test_hostile_submissions.py."""
