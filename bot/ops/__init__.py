"""Running the service: settings, the aiohttp app, health, logs, metrics and HTTP limits."""
