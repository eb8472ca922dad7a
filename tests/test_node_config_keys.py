"""The config.toml and secrets.toml the hosts render use only keys the node documents.

The judge is the node's own v2.29 reference (docs/CONFIG.md and docs/SECRETS.md of
smartcontractkit/chainlink, as published in ../shared/reference/chainlink-docs/): each
`## Table` section opens with a TOML block listing every key of that table. Building the
node's Go config validation was not worth it here (a full chainlink module build); the
documented keys, with which tables are arrays ([[EVM]]), are what that validation accepts.

Realistic stacks run through the whole program; their user data gives the agent's
settings, and the agent renders the files as on a host.
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from components.host import chainlink_agent as agent
from components.host.user_data import SETTINGS_PATH
from tests.conftest import cached_run, checked_in_stack_file, run_ops, with_overrides

DOCS = Path("/work/shared/reference/chainlink-docs")
if not DOCS.exists():
    DOCS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "chainlink-docs"


def documented_keys(document: str) -> dict[str, tuple[bool, set[str]]]:
    """table path -> (is an array of tables, its keys). A `## Table` section lists its keys
    in its opening block, or (for [[EVM]], whose opening blocks are per-chain defaults)
    in one `### Key` subsection per key; `[[Table]]` anywhere marks an array."""
    arrays = set(re.findall(r"^\[\[([\w.]+)\]\]$", document, flags=re.M))
    tables: dict[str, tuple[bool, set[str]]] = {}
    for section in re.split(r"^## ", document, flags=re.M)[1:]:
        name, _, body = section.partition("\n")
        name = name.strip()
        if not re.fullmatch(r"[A-Z][\w.]*", name):
            continue
        keys: set[str] = set()
        first = re.search(r"```toml\n(.*?)```", body, flags=re.S)
        if first and first.group(1).startswith(("[", "#")):
            keys |= set(re.findall(r"^(\w+) = ", first.group(1), flags=re.M))
        for key, block in re.findall(r"^### (\w+)\n+```toml\n(.*?)```", body, flags=re.M | re.S):
            if block.startswith(f"{key} = "):
                keys.add(key)
        tables[name] = (name in arrays, keys)
    return tables


NODE_TABLES = documented_keys((DOCS / "node-config-2.29.mdx").read_text(encoding="utf-8"))
SECRET_TABLES = documented_keys((DOCS / "secrets-config-2.29.mdx").read_text(encoding="utf-8"))


def undocumented(value: dict[str, Any], tables: dict[str, tuple[bool, set[str]]],
                 path: str = "") -> list[str]:
    """Every key or table of the rendered document the docs do not list."""
    problems = []
    for key, item in value.items():
        full = f"{path}.{key}" if path else key
        if full in tables:
            is_array, _ = tables[full]
            entries = item if is_array else [item]
            if is_array != isinstance(item, list):
                problems.append(f"{full}: [[{full}]] is {'an' if is_array else 'not an'} array")
                continue
            for entry in entries:
                problems += undocumented(entry, tables, full)
        elif path and key in tables.get(path, (False, set()))[1]:
            continue
        else:
            problems.append(full)
    return problems


def test_the_docs_parse_into_the_tables_the_check_needs():
    assert NODE_TABLES["EVM"][0] and NODE_TABLES["EVM.Nodes"][0]
    assert {"ChainID"} <= NODE_TABLES["EVM"][1]
    assert {"Name", "WSURL", "HTTPURL", "SendOnly"} <= NODE_TABLES["EVM.Nodes"][1]
    assert {"Enabled", "ListenAddresses", "AnnounceAddresses"} <= NODE_TABLES["P2P.V2"][1]
    assert "LogPoller" in NODE_TABLES["Feature"][1] and "Enabled" in NODE_TABLES["OCR2"][1]
    assert {"URL"} <= SECRET_TABLES["Database"][1] and {"Keystore"} <= SECRET_TABLES["Password"][1]
    # The check itself refuses what the node would refuse.
    assert undocumented({"EVM": [{"ChainID": "1", "Nodez": []}]}, NODE_TABLES) == ["EVM.Nodez"]
    assert undocumented({"P2P": {"V2": {"Listen": []}}}, NODE_TABLES) == ["P2P.V2.Listen"]
    assert undocumented({"EVM": {"ChainID": "1"}}, NODE_TABLES) == ["EVM: [[EVM]] is an array"]


WS, HTTP = "wss://{name}.example.com/{chain}", "https://{name}.example.com/{chain}"


def chain_entry(chain: str, nodes: int, send_only: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"chain": chain, "nodes": [
        {"name": f"rpc-{index}", "wsUrl": WS.format(name=f"rpc-{index}", chain=chain),
         "httpUrl": HTTP.format(name=f"rpc-{index}", chain=chain)} for index in range(nodes)]}
    if send_only:
        entry["sendOnly"] = [{"name": "relay", "httpUrl": HTTP.format(name="relay", chain=chain)}]
    return entry


THREE_CHAINS = [chain_entry("ethereum-mainnet", 2, send_only=True),
                chain_entry("polygon-mainnet", 2), chain_entry("arbitrum-mainnet", 2)]
STACKS = {
    "one chain": ("dev", {}),
    "three chains, several RPC nodes each": ("prod", {"chains": json.dumps(THREE_CHAINS)}),
    "P2P on": ("prod", {"p2pEnabled": "true"}),
}


def rendered(stack: str, overrides: dict[str, str]) -> tuple[dict, dict, agent.AgentSettings]:
    run = cached_run(with_overrides(checked_in_stack_file(stack), overrides))
    (template,) = [r for r in run.resources if r.name == "chainlink-node-lt"]
    cloud = YAML(typ="safe").load(base64.b64decode(template.inputs["userData"]).decode())
    (entry,) = [item for item in cloud["write_files"] if item["path"] == SETTINGS_PATH]
    settings = agent.parse_settings(json.loads(entry["content"]), "user data")
    urls = {field: "wss://x.example/ws" if field.endswith("wsUrl") else "https://x.example/h"
            for field in agent.rpc_url_fields(settings)}
    secrets = agent.NodeSecrets("ops@example.com", "a-fine-api-password-1",
                                "a-fine-keystore-password", urls, "chainlink",
                                "a-fine-database-password", {})
    files = agent.rendered_files(settings, secrets)
    return (tomllib.loads(files[agent.CONFIG_FILE]), tomllib.loads(files[agent.SECRETS_FILE]),
            settings)


@pytest.mark.parametrize("label", STACKS)
def test_rendered_files_use_only_documented_keys(label):
    stack, overrides = STACKS[label]
    config, secrets, _ = rendered(stack, overrides)
    assert undocumented(config, NODE_TABLES) == []
    assert undocumented(secrets, SECRET_TABLES) == []


def test_three_chains_render_every_rpc_node():
    config, _, _ = rendered(*STACKS["three chains, several RPC nodes each"])
    assert [chain["ChainID"] for chain in config["EVM"]] == ["1", "137", "42161"]
    assert [[node["Name"] for node in chain["Nodes"]] for chain in config["EVM"]] == [
        ["rpc-0", "rpc-1", "relay"], ["rpc-0", "rpc-1"], ["rpc-0", "rpc-1"]]
    assert config["EVM"][0]["Nodes"][2]["SendOnly"] is True
    assert "NodePool" not in config["EVM"][0]  # the node's own failover defaults


def test_p2p_on_turns_on_ocr2_and_the_log_poller():
    config, _, settings = rendered(*STACKS["P2P on"])
    assert config["P2P"]["V2"]["Enabled"] is True
    assert config["P2P"]["V2"]["ListenAddresses"] == [f"0.0.0.0:{settings.p2p_port}"]
    assert config["OCR2"]["Enabled"] is True and config["Feature"]["LogPoller"] is True


def test_without_p2p_no_ocr_is_switched_on():
    config, _, _ = rendered(*STACKS["one chain"])
    assert config["P2P"]["V2"] == {"Enabled": False}
    assert "OCR2" not in config and "Feature" not in config


def test_a_three_chain_stack_previews_and_passes_the_pack(project_copy):
    """Acceptance: three chains, two RPC nodes each, through `ops preview` and the policy
    pack with the production policy config."""
    path = project_copy / "Pulumi.prod.yaml"
    text = path.read_text()
    start = text.index("  chainlink-node-aws:chains:")
    end = text.index("  chainlink-node-aws:apiUserEmail")
    block = "  chainlink-node-aws:chains:\n" + "".join(
        f"    {line}\n" for line in json.dumps(THREE_CHAINS, indent=2).splitlines())
    path.write_text(text[:start] + block + text[end:])
    result = run_ops("preview", "--stack", "prod", "--json", str(project_copy / "p.json"),
                     cwd=project_copy)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    document = json.loads((project_copy / "p.json").read_text())
    assert document["outputs"]["chainIds"] == [1, 137, 42161]
    assert not [v for v in document["violations"] if v["enforcementLevel"] == "mandatory"]
