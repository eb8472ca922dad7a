"""The `chains` key: the EVM chains the node serves and the RPC nodes of each.

    chainlink-node-aws:chains:
      - chain: ethereum-sepolia          # short form: one primary RPC node
        wsUrl: {secure: ...}
        httpUrl: {secure: ...}
      - chain: polygon-mainnet           # full form
        nodes:                           # primary nodes: WebSocket + HTTP, at least one
          - {name: alchemy, wsUrl: ..., httpUrl: ...}
          - {name: infura, wsUrl: ..., httpUrl: ...}
        sendOnly:                        # optional: only broadcast transactions (HTTP)
          - {name: flashbots, httpUrl: ...}

Any URL may be a secret (`pulumi config set --secret --path 'chains[0].wsUrl' ...`); Pulumi
then hands the whole key over as a secret. An offline preview cannot decrypt a `secure:`
value: it stands in a placeholder URL of the right scheme and checks only the rest.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from components.chains import ChainSpec, RpcNode, resolve_chain
from components.host.chainlink_agent import RPC_URL_SCHEMES, url_problem
from stack_config.parsers import SecretValue

SHORT_FORM_NODE_NAME = "primary"
CHAIN_FIELDS = ("chain", "wsUrl", "httpUrl", "nodes", "sendOnly")
NODE_FIELDS = {"nodes": ("name", "wsUrl", "httpUrl"), "sendOnly": ("name", "httpUrl")}
_NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
OFFLINE_URLS = {"wsUrl": "wss://rpc.offline-preview.invalid/ws",
                "httpUrl": "https://rpc.offline-preview.invalid/http"}


class ChainsError(ValueError):
    """All problems of the `chains` value, one per line; never quotes a URL."""


def suggestion(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _url(value: Any, field: str, where: str, problems: list[str]) -> tuple[str, bool]:
    """(url, was it an undecryptable `secure:` value)."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return OFFLINE_URLS[field], True
    if not isinstance(value, str):
        problems.append(f"{where}.{field} must be a URL string")
        return "", False
    problem = url_problem(value.strip(), RPC_URL_SCHEMES[field])
    if problem:
        problems.append(f"{where}.{field} {problem}")
    return value.strip(), False


def _unknown_fields(entry: dict, allowed: tuple[str, ...], where: str,
                    problems: list[str]) -> None:
    for name in entry:
        if name not in allowed:
            problems.append(f"{where}.{name} is not a known field{suggestion(str(name), allowed)}; "
                            f"allowed: {', '.join(allowed)}")


def _nodes(entry: dict, where: str, problems: list[str]) -> tuple[list[RpcNode], bool]:
    nodes: list[RpcNode] = []
    encrypted = False
    if "wsUrl" in entry or "httpUrl" in entry:
        if "nodes" in entry:
            problems.append(f"{where}: give either wsUrl/httpUrl (one primary node) or nodes, "
                            "not both")
        ws, secret_ws = _url(entry.get("wsUrl"), "wsUrl", where, problems)
        http, secret_http = _url(entry.get("httpUrl"), "httpUrl", where, problems)
        nodes.append(RpcNode(SHORT_FORM_NODE_NAME, SecretValue(http), SecretValue(ws)))
        encrypted = secret_ws or secret_http
    for group in ("nodes", "sendOnly"):
        items = entry.get(group, [])
        if not isinstance(items, list):
            problems.append(f"{where}.{group} must be a list of RPC nodes")
            continue
        for index, item in enumerate(items):
            at = f"{where}.{group}[{index}]"
            if not isinstance(item, dict):
                problems.append(f"{at} must be a mapping with {', '.join(NODE_FIELDS[group])}")
                continue
            _unknown_fields(item, NODE_FIELDS[group], at, problems)
            name = item.get("name")
            if not isinstance(name, str) or not _NODE_NAME.fullmatch(name):
                problems.append(f"{at}.name must be 1 to 63 letters, digits, '.', '_' or '-'")
                name = ""
            http, secret_http = _url(item.get("httpUrl"), "httpUrl", at, problems)
            ws, secret_ws = (None, False) if group == "sendOnly" else _url(
                item.get("wsUrl"), "wsUrl", at, problems)
            encrypted = encrypted or secret_http or secret_ws
            nodes.append(RpcNode(name, SecretValue(http), None if ws is None else SecretValue(ws),
                                 send_only=group == "sendOnly"))
    return nodes, encrypted


def parse_chains_value(value: Any) -> tuple[tuple[ChainSpec, ...], bool]:
    """The chains, and whether any URL was an undecryptable `secure:` value.

    Raises ChainsError naming every problem."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ChainsError("must be a YAML list of chains, each with `chain` and its RPC "
                              "nodes (see README \"Chains and RPC nodes\")") from None
    if not isinstance(value, list) or not value:
        raise ChainsError("must be a non-empty list of chains, each with `chain` and its RPC "
                          "nodes (see README \"Chains and RPC nodes\")")
    problems: list[str] = []
    specs: list[ChainSpec] = []
    encrypted = False
    seen_ids: dict[int, str] = {}
    for index, entry in enumerate(value):
        where = f"chains[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a mapping with chain and its RPC nodes")
            continue
        _unknown_fields(entry, CHAIN_FIELDS, where, problems)
        chain = None
        selector = entry.get("chain")
        if not isinstance(selector, (str, int)) or isinstance(selector, bool):
            problems.append(f"{where}.chain is required: a network name or a numeric chain id")
        else:
            try:
                chain = resolve_chain(str(selector))
            except ValueError as error:
                problems.append(f"{where}.chain: {error}")
        nodes, secret = _nodes(entry, where, problems)
        encrypted = encrypted or secret
        names = [node.name for node in nodes if node.name]
        for name in sorted({name for name in names if names.count(name) > 1}):
            problems.append(f"{where}: RPC node name {name!r} is used twice; names must be "
                            "unique within a chain")
        if not any(not node.send_only for node in nodes):
            problems.append(f"{where} needs at least one primary RPC node (wsUrl and httpUrl, "
                            "or an entry under nodes)")
        if chain is not None:
            if chain.chain_id in seen_ids:
                problems.append(f"{where}.chain: chain id {chain.chain_id} is already served "
                                f"by {seen_ids[chain.chain_id]}; list each chain once")
            else:
                seen_ids[chain.chain_id] = where
            specs.append(ChainSpec(chain, tuple(nodes)))
    if problems:
        raise ChainsError("; ".join(problems))
    return tuple(specs), encrypted


def parse_chains(text: str) -> tuple[ChainSpec, ...]:
    """The `chains` key's parser: RPC URLs always become SecretValue (they may carry API
    keys, and a URL never shows in a message)."""
    return parse_chains_value(text)[0]
