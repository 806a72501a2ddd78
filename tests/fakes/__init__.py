"""Local fake provider servers that speak the providers' real wire formats."""
