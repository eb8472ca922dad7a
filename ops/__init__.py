"""Operations CLI for chainlink-node-aws (`python -m ops ...`)."""
