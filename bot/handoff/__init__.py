"""Handing a conversation to a person: queue, console, hours, staff."""
