"""The chainlink-node-aws policy pack; rules are importable without starting the pack."""
