"""Organizers' pages ("Benchmarks > Management"): the competitions they run, created by
form or bundle, and the participants, submissions, emails and files of each."""
