"""EVM networks the stack knows by name: chain id and LINK token contract.

The AWS Quick Start offered ETH-Mainnet, Kovan, Rinkeby, xDai, Heco, BSC and Matic.
Kovan, Rinkeby and HECO have shut down; the rest are here under their current names
(xDai is Gnosis, Matic is Polygon), with the networks node operators serve today.
Any other EVM chain can be selected by its numeric chain id.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Chain:
    name: str
    chain_id: int
    link_token: str | None
    testnet: bool = False


KNOWN_CHAINS: tuple[Chain, ...] = (
    Chain("ethereum-mainnet", 1, "0x514910771AF9Ca656af840dff83E8264EcF986CA"),
    Chain("ethereum-sepolia", 11155111, "0x779877A7B0D9E8603169DdbD7836e478b4624789", testnet=True),
    Chain("polygon-mainnet", 137, "0xb0897686c545045aFc77CF20eC7A532E3120E0F1"),
    Chain("polygon-amoy", 80002, "0x0Fd9e8d3aF1aaee056EB9e802c3A762a667b1904", testnet=True),
    Chain("bnb-mainnet", 56, "0x404460C6A5EdE2D891e8297795264fDe62ADBB75"),
    Chain("bnb-testnet", 97, "0x84b9B910527Ad5C03A9Ca831909E21e236EA7b06", testnet=True),
    Chain("gnosis-mainnet", 100, "0xE2e73A1c69ecF83F464EFCE6A5be353a37cA09b2"),
    Chain("avalanche-mainnet", 43114, "0x5947BB275c521040051D82396192181b413227A3"),
    Chain("avalanche-fuji", 43113, "0x0b9d5D9136855f6FEc3c0993feE6E9CE8a297846", testnet=True),
    Chain("arbitrum-mainnet", 42161, "0xf97f4df75117a78c1A5a0DBb814Af92458539FB4"),
    Chain("arbitrum-sepolia", 421614, "0xb1D4538B4571d411F07960EF2838Ce337FE1E80E", testnet=True),
    Chain("optimism-mainnet", 10, "0x350a791Bfc2C21F9Ed5d10980Dad2e2638ffa7f6"),
    Chain("optimism-sepolia", 11155420, "0xE4aB69C077896252FAFBD49EFD26B5D171A32410", testnet=True),
    Chain("base-mainnet", 8453, "0x88Fb150BDc53A65fe94Dea0c9BA0a6dAf8C6e196"),
    Chain("base-sepolia", 84532, "0xE4aB69C077896252FAFBD49EFD26B5D171A32410", testnet=True),
    Chain("fantom-mainnet", 250, "0x6F43FF82CCA38001B6699a8AC47A2d0E66939407"),
    Chain("moonbeam-mainnet", 1284, "0x012414A392F9FA442a3109f1320c439C45518aC3"),
    Chain("moonriver-mainnet", 1285, "0x8b12Ac23BFe11cAb03a634C1F117D64a7f2cFD3e"),
    Chain("metis-mainnet", 1088, "0xd2FE54D1E5F568eB710ba9d898Bf4bD02C7c0353"),
    Chain("scroll-mainnet", 534352, "0x548C6944cba02B9D1C0570102c89de64D258d3Ac"),
    Chain("linea-mainnet", 59144, "0xa18152629128738a5c081eb226335FEd4B9C95e9"),
    Chain("celo-mainnet", 42220, "0xd07294e6E917e07dfDcee882dd1e2565085C2ae0"),
)

_BY_NAME = {chain.name: chain for chain in KNOWN_CHAINS}
_BY_ID = {chain.chain_id: chain for chain in KNOWN_CHAINS}


def resolve_chain(selector: str) -> Chain:
    """A network name from the table, or any positive numeric chain id.

    Raises ValueError with the allowed forms when the selector is neither.
    """
    text = selector.strip()
    if text.isdigit():
        chain_id = int(text)
        if chain_id <= 0:
            raise ValueError("a chain id must be a positive integer")
        return _BY_ID.get(chain_id) or Chain(f"chain-{chain_id}", chain_id, None)
    chain = _BY_NAME.get(text.lower())
    if chain is None:
        close = difflib.get_close_matches(text.lower(), list(_BY_NAME), n=1)
        if close:
            raise ValueError(f"unknown network {text!r}: did you mean {close[0]}? (or use a "
                             "numeric chain id)")
        raise ValueError(
            f"unknown network {text!r}: use a numeric chain id or one of "
            + ", ".join(sorted(_BY_NAME))
        )
    return chain


@dataclass(frozen=True)
class RpcNode:
    """One RPC endpoint of a chain. URLs are SecretValue-like (they may carry API keys):
    anything with reveal(), or a plain string."""
    name: str
    http_url: object
    ws_url: object = None         # None for a send-only node
    send_only: bool = False


@dataclass(frozen=True)
class ChainSpec:
    chain: Chain
    nodes: tuple

    @property
    def primaries(self) -> tuple:
        return tuple(node for node in self.nodes if not node.send_only)


def _plain(value: object) -> str:
    return value.reveal() if hasattr(value, "reveal") else str(value)


def rpc_secret_document(chains: "tuple[ChainSpec, ...]") -> dict:
    """The RPC secret's fields, as the host agent reads them (rpc_url_field), plus the
    first primary's URLs under the single-chain field names, so an agent of the previous
    release keeps rendering until the instance refresh replaces its host."""
    from components.host.chainlink_agent import rpc_url_field

    document = {}
    for spec in chains:
        for node in spec.nodes:
            document[rpc_url_field(str(spec.chain.chain_id), node.name, "httpUrl")] = \
                _plain(node.http_url)
            if not node.send_only:
                document[rpc_url_field(str(spec.chain.chain_id), node.name, "wsUrl")] = \
                    _plain(node.ws_url)
    first = chains[0].primaries[0]
    document.update(wsUrl=_plain(first.ws_url), httpUrl=_plain(first.http_url))
    return document


def agent_chains(chains: "tuple[ChainSpec, ...]") -> list:
    """The chains as the agent's settings carry them: structure only, no URL."""
    return [{"chainId": str(spec.chain.chain_id),
             "nodes": [{"name": node.name, "sendOnly": node.send_only} for node in spec.nodes]}
            for spec in chains]
