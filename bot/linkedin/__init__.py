"""LinkedIn's REST API: the Rest.li encoding, an HTTP client that handles LinkedIn's
errors and limits, and parsers of the documented response shapes."""
