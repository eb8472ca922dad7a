"""The `chains` key: one or more chains, each with primary and send-only RPC nodes."""

from __future__ import annotations

import json

import pytest

from stack_config import ConfigError, parse_stack_config
from tests.test_config import SECRET_KEYS, base_config

WS, HTTP = "wss://rpc.example.com/ws", "https://rpc.example.com/http"


def parsed(chains):
    raw = base_config("dev")
    raw["chains"] = chains if isinstance(chains, str) else json.dumps(chains)
    return parse_stack_config(raw, "dev", SECRET_KEYS).chains


def problem(chains, **extra) -> str:
    raw = base_config("dev")
    raw["chains"] = chains if isinstance(chains, str) else json.dumps(chains)
    raw.update(extra)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(raw, "dev", SECRET_KEYS)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_short_form_is_one_primary_node():
    (spec,) = parsed([{"chain": "ethereum-sepolia", "wsUrl": WS, "httpUrl": HTTP}])
    assert spec.chain.chain_id == 11155111
    (node,) = spec.nodes
    assert (node.name, node.ws_url.reveal(), node.http_url.reveal(), node.send_only) == (
        "primary", WS, HTTP, False)
    assert WS not in repr(spec)  # URLs may carry API keys: never in a repr


def test_three_chains_with_several_nodes_and_a_send_only_one():
    specs = parsed([
        {"chain": "ethereum-mainnet",
         "nodes": [{"name": "a", "wsUrl": WS, "httpUrl": HTTP},
                   {"name": "b", "wsUrl": WS + "2", "httpUrl": HTTP + "2"}],
         "sendOnly": [{"name": "flashbots", "httpUrl": "https://rpc.flashbots.net"}]},
        {"chain": "137", "nodes": [{"name": "a", "wsUrl": WS, "httpUrl": HTTP}]},
        {"chain": 999999, "wsUrl": WS, "httpUrl": HTTP}])
    assert [spec.chain.chain_id for spec in specs] == [1, 137, 999999]
    assert [(n.name, n.send_only) for n in specs[0].nodes] == [
        ("a", False), ("b", False), ("flashbots", True)]
    assert specs[0].nodes[2].ws_url is None


@pytest.mark.parametrize("chains, fragment", [
    ([], "non-empty list"),
    ("not json", "YAML list of chains"),
    ([{"chain": "ethereum-kovan", "wsUrl": WS, "httpUrl": HTTP}], "unknown network"),
    ([{"chain": "0", "wsUrl": WS, "httpUrl": HTTP}], "positive"),
    ([{"wsUrl": WS, "httpUrl": HTTP}], "chains[0].chain is required"),
    ([{"chain": "1", "wsUrl": HTTP, "httpUrl": HTTP}], "chains[0].wsUrl must be a URL starting with ws:// or wss://"),
    ([{"chain": "1", "wsUrl": WS, "httpUrl": WS}], "chains[0].httpUrl must be a URL starting with http://"),
    ([{"chain": "1", "sendOnly": [{"name": "s", "httpUrl": HTTP}]}], "at least one primary"),
    ([{"chain": "1", "nodes": [{"name": "a", "wsUrl": WS, "httpUrl": HTTP}],
       "sendOnly": [{"name": "a", "httpUrl": HTTP}]}], "'a' is used twice"),
    ([{"chain": "1", "wsUrl": WS, "httpUrl": HTTP},
      {"chain": "ethereum-mainnet", "wsUrl": WS, "httpUrl": HTTP}], "chain id 1 is already served by chains[0]"),
    ([{"chain": "1", "wsUrl": WS, "httpUrl": HTTP, "nodes": []}], "not both"),
    ([{"chain": "1", "wsUrl": WS, "htpUrl": HTTP}], "did you mean 'httpUrl'"),
    ([{"chain": "1", "nodes": [{"name": "bad name", "wsUrl": WS, "httpUrl": HTTP}]}], ".name must be"),
])
def test_bad_chains_name_the_entry_and_the_rule(chains, fragment):
    message = problem(chains)
    assert message.startswith("chainlink-node-aws:chains: ")
    assert fragment in message


def test_a_url_is_never_quoted_in_a_message():
    secret_url = "ftp://user:hunter2@rpc.example.com"
    message = problem([{"chain": "1", "wsUrl": WS, "httpUrl": secret_url}])
    assert "hunter2" not in message and "httpUrl must be a URL" in message


@pytest.mark.parametrize("old_key", ["chain", "rpcWsUrl", "rpcHttpUrl"])
def test_an_old_single_chain_key_is_explained_not_just_refused(old_key):
    message = problem([{"chain": "1", "wsUrl": WS, "httpUrl": HTTP}], **{old_key: "x"})
    assert f"chainlink-node-aws:{old_key}: is the single-chain form of earlier releases" in message
    assert "chainlink-node-aws:chains:" in message


def test_a_misspelt_key_gets_did_you_mean():
    message = problem([{"chain": "1", "wsUrl": WS, "httpUrl": HTTP}], vpcCidrr="10.0.0.0/16")
    assert "vpcCidrr: is not a known setting; did you mean vpcCidr?" in message


def test_an_undecryptable_secure_url_is_not_reported_invalid():
    """Offline, a `secure:` URL cannot be read: its place is checked, never its value."""
    (spec,) = parsed([{"chain": "1", "wsUrl": {"secure": "v1:abc"},
                       "httpUrl": {"secure": "v1:def"}}])
    assert spec.nodes[0].ws_url.reveal().startswith("wss://")
