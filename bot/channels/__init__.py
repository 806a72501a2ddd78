"""Channels: each parses and verifies inbound webhooks, renders replies for its limits, and sends."""
