"""Real servers for integration tests: started on loopback by fixtures, stopped after."""
