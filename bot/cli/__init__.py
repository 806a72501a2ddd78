"""`python -m bot …`: the command line and the reports it writes."""
