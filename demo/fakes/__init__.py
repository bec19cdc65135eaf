"""Local fakes of the ad platforms, speaking their real request and response
shapes on loopback, with switchable scenarios (pages, rate limits, expired and
revoked tokens, server errors). Used by the tests and by ``touchline demo``."""
