"""The Slack front door: bolt listeners that delegate to the shared command handler."""
