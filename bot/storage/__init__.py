"""What is kept about a person: sealed, pseudonymous, expiring."""
