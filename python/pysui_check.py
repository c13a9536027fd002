"""pysui (the community Python SDK for Sui) against a floe localnet it starts: reads through
pysui's gRPC client (protocol config and gas price at client start, chain id, balances, coin
metadata, owned objects by type, one object), then a transaction pysui builds itself (a Blob
transferred to a new address, gas coins and budget chosen by pysui with the devnet's
simulation), signed and executed, and the new owner read back.

    python python/pysui_check.py            # FLOE_BIN names the floe binary

One deviation from pysui's documented use, and why: pysui 1.5.1 opens every gRPC channel with
TLS (``Channel(host, port, ssl=True)`` in ``GrpcProtocolClient.__init__``), and a localnet serves
plain HTTP/2, so the check swaps in a plaintext channel to the same host and port. Exits non-zero
on the first failed check.
"""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from grpclib.client import Channel
from pysui import PysuiConfiguration
from pysui.sui.sui_common.config.confgroup import GroupProtocol, NetworkType
from pysui.sui.sui_grpc.pgrpc_clients import GrpcProtocolClient
import pysui.sui.sui_common.sui_commands as cmd

ROOT = Path(__file__).resolve().parent.parent


def floe_bin() -> str:
    return os.environ.get("FLOE_BIN", str(ROOT / "target" / "debug" / "floe"))


def start_localnet(data_dir: str) -> tuple[subprocess.Popen, dict]:
    """`floe --json localnet --any-ports --no-demo`, as the JavaScript suites start it."""
    args = [floe_bin(), "--json", "localnet", "--any-ports", "--no-demo", "--data-dir", data_dir]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in child.stdout:
        if line.strip().startswith("{"):
            return child, json.loads(line)
    raise RuntimeError(f"floe localnet exited ({child.wait()}) before serving")


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)
    print(f"ok - {what}")


def store_blob(daemon_url: str, owner: str, data: bytes) -> str:
    """Stores `data` through the localnet's publisher, the Blob going to `owner`."""
    query = urllib.parse.urlencode({"epochs": 2, "send_object_to": owner})
    request = urllib.request.Request(f"{daemon_url}/v1/blobs?{query}", data=data, method="PUT")
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.load(response)
    return answer["newlyCreated"]["blobObject"]["id"]


def pysui_config(folder: Path, url: str, key: str) -> PysuiConfiguration:
    """A pysui configuration with one gRPC group pointing at the localnet, holding its key."""
    PysuiConfiguration.initialize_config(in_folder=folder, init_groups=[{"name": "floe", "make_active": True}])
    config = PysuiConfiguration(from_cfg_path=str(folder))
    config.new_group(
        group_name="floe-localnet",
        profile_block=[
            {
                "profile_name": "localnet",
                "url": url,
                "network_type": NetworkType.LOCAL,
                "faucet_url": None,
                "faucet_status_url": None,
                "make_active": True,
            }
        ],
        key_block=[{"key_string": key, "alias": "funded"}],
        active_address_index=0,
        group_protocol=GroupProtocol.GRPC,
        make_group_active=True,
        persist=True,
    )
    return config


async def run(net: dict) -> None:
    rpc = urllib.parse.urlparse(net["rpc_url"])
    with open(net["deployment_file"], encoding="utf8") as f:
        deployment = json.load(f)
    floe_pkg = deployment["packages"]["floe"]
    wal_type = f"{deployment['packages']['wal']}::wal::WAL"
    blob_type = f"{floe_pkg}::blob::Blob"
    address = net["address"]
    blob = store_blob(net["daemon_url"], address, b"floe through pysui")

    folder = Path(tempfile.mkdtemp(prefix="floe-pysui-"))
    try:
        config = pysui_config(folder, net["rpc_url"], net["key"])
        check(config.active_address == address, "pysui derives the localnet's address from its key")
        client = GrpcProtocolClient(pysui_config=config)
        client._channel.close()
        client._channel = Channel(host=rpc.hostname, port=rpc.port)  # plaintext; see the module doc
        async with client:
            constraints = client.protocol().transaction_constraints
            check(bool(constraints.protocol_version), "client start reads the protocol config")
            check(bool(constraints.max_tx_size_bytes), "the protocol config has transaction limits")
            check(client.current_gas_price > 0, "client start reads the reference gas price")

            result = await client.execute(command=cmd.GetChainIdentifier())
            check(result.is_ok() and result.result_data == deployment["chain_id"], "chain identifier")

            result = await client.execute(command=cmd.GetAddressCoinBalance(owner=address))
            check(result.is_ok() and result.result_data.balance.balance > 0, "SUI balance")
            result = await client.execute(command=cmd.GetAddressCoinBalance(owner=address, coin_type=wal_type))
            check(result.is_ok() and result.result_data.balance.balance > 0, "WAL balance")

            result = await client.execute(command=cmd.GetCoinMetaData(coin_type=wal_type))
            check(result.is_ok() and result.result_data.metadata.symbol == "WAL", "WAL coin metadata")

            result = await client.execute(command=cmd.GetObjectsForType(owner=address, object_type=blob_type))
            ids = [o.object_id for o in result.result_data.objects] if result.is_ok() else []
            check(blob in ids, f"the account's Blobs listed by type ({result.result_string or len(ids)})")

            result = await client.execute(command=cmd.GetObject(object_id=blob))
            check(result.is_ok() and result.result_data.object_type == blob_type, "a Blob read by id")

            recipient = "0x" + os.urandom(32).hex()
            txn = await client.transaction()
            await txn.transfer_objects(transfers=[blob], recipient=recipient)
            signed = await txn.build_and_sign()
            result = await client.execute(command=cmd.ExecuteTransaction(**signed))
            check(result.is_ok(), f"a Blob transfer pysui built, signed and executed {result.result_string}")
            effects = result.result_data.effects  # the ExecutedTransaction
            check(effects.status.success, f"the transfer succeeded ({effects.status})")

            result = await client.execute(command=cmd.GetObject(object_id=blob))
            owner = result.result_data.owner if result.is_ok() else None
            check(owner is not None and owner.address == recipient, "the Blob's new owner")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    data_dir = tempfile.mkdtemp(prefix="floe-pysui-net-")
    child, net = start_localnet(data_dir)
    try:
        asyncio.run(run(net))
    finally:
        child.terminate()
        child.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
